package match

// Version names the matching rules. Change it whenever a change to normalisation,
// boundaries or exclusions could change what matches, so that an audit can tell which
// rules made a decision and a replay with the same version gives the same result.
const Version = "vigil-match/2"
