package summary

import (
	"strings"
	"testing"

	"github.com/vigilbot/vigil/watchers"
)

func TestFirstSentence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"BIS adds 28 entities. The rule is effective today.", "BIS adds 28 entities."},
		{"Version 2.0 released. More", "Version 2.0 released."},
		{"No end", "No end"},
		{"First line\nsecond line.", "First line"},
		{"海康威视被列入实体清单。其他内容。", "海康威视被列入实体清单。"},
		{"The U.S. Commerce Department added firms. Then more.", "The U.S. Commerce Department added firms."},
		{"Huawei Technologies Co. Ltd. was added on Jan. 5. Later.", "Huawei Technologies Co. Ltd. was added on Jan. 5."},
		{"John F. Kennedy spoke. Next.", "John F. Kennedy spoke."},
		{"It rose 5%. Then fell.", "It rose 5%."},
	}
	for _, tt := range tests {
		if got := FirstSentence(tt.in); got != tt.want {
			t.Errorf("FirstSentence(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	it := watchers.Item{Abstract: "This rule adds twenty-eight entities to the Entity List. More follows."}
	ms := []watchers.Match{
		{Field: watchers.FieldTitle, Snippet: "title sentence"},
		{Field: watchers.FieldBody, Snippet: "Hangzhou Hikvision Digital Technology Co., Ltd. is added."},
		{Field: watchers.FieldBody, Snippet: "Hangzhou Hikvision Digital Technology Co., Ltd. is added."},
		{Field: watchers.FieldBody, Snippet: "Zhejiang Dahua Technology is added."},
		{Field: watchers.FieldBody, Snippet: "A fourth sentence."},
	}
	got := Summarize(it, ms)
	want := "This rule adds twenty-eight entities to the Entity List. Hangzhou Hikvision Digital Technology Co., Ltd. is added. Zhejiang Dahua Technology is added."
	if got != want {
		t.Errorf("Summarize:\n got %q\nwant %q", got, want)
	}
	standfirst := Summarize(watchers.Item{Abstract: "Ousted president admits defeat\nThe ousted president spoke."},
		[]watchers.Match{{Field: watchers.FieldAbstract, Snippet: "The ousted president spoke."}})
	if want := "Ousted president admits defeat. The ousted president spoke."; standfirst != want {
		t.Errorf("standfirst: got %q, want %q", standfirst, want)
	}
	long := Summarize(watchers.Item{Abstract: strings.Repeat("word ", 300)}, nil)
	if len(long) > maxLen+len("…") || !strings.HasSuffix(long, "…") {
		t.Errorf("long summary: got %d bytes, want at most %d ending in …", len(long), maxLen)
	}
}
