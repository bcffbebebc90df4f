package app

import (
	"slices"
	"testing"

	"github.com/vigilbot/vigil/watchers"
)

// A scan takes the sources in turns over their hosts, so that those polled together
// wait for no host's politeness interval; within a host, in their order.
func TestByHostTurns(t *testing.T) {
	src := func(u string) watchers.Source { return watchers.Source{URL: u} }
	tests := []struct {
		name    string
		sources []watchers.Source
		want    []int
	}{
		{"none", nil, []int{}},
		{"one host", []watchers.Source{src("http://a/1"), src("http://a/2")}, []int{0, 1}},
		{"grouped hosts", []watchers.Source{
			src("http://a/1"), src("http://a/2"), src("http://a/3"), src("http://B:80/1"), src("http://b:80/2"), src("https://c/1"),
		}, []int{0, 3, 5, 1, 4, 2}},
		{"ports are hosts", []watchers.Source{src("http://a:1/x"), src("http://a:2/x"), src("http://a:1/y")}, []int{0, 1, 2}},
		{"bad URLs together", []watchers.Source{src("%zz"), src("http://a/1"), src("")}, []int{0, 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := byHostTurns(tc.sources); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
