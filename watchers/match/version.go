package match

// Version names the matching rules. Change it whenever a change to normalisation,
// boundaries, exclusions or the marking of subjects and passing mentions could change what
// matches or how, so that an audit can tell which rules made a decision and a replay with
// the same version gives the same result.
const Version = "vigil-match/3"
