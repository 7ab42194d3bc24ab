package chartrender

import (
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/stretchr/testify/require"
)

// regexMatch and mustRegexMatch keep the verdict on long texts by pattern and text: every call, the
// first and those read back, must answer as sprig's own, for texts on both sides of matchLongText,
// one text under several patterns and one pattern over texts that differ in their last byte.
func TestKeptMatchesAnswerAsSprig(t *testing.T) {
	plain := strings.Repeat(`{"apiGroups":[""],"resources":["pods"],"verbs":["get"]},`, 12)
	texts := []string{"", "short-name", plain, plain + "*", strings.Repeat("a", matchLongText-1), strings.Repeat("a", matchLongText), strings.Repeat("a", matchLongText) + "b"}
	patterns := []string{`^[^*]*$`, `^a+$`, `pods`, `b$`, `(`}
	ours := template.FuncMap{}
	cachedRegexFuncs(ours)
	theirs := sprig.TxtFuncMap()
	for round := 0; round < 3; round++ {
		for _, p := range patterns {
			for _, s := range texts {
				want := theirs["regexMatch"].(func(string, string) bool)(p, s)
				require.Equal(t, want, ours["regexMatch"].(func(string, string) bool)(p, s), "regexMatch %q on %.20q (%d bytes), round %d", p, s, len(s), round)
				wantM, wantErr := theirs["mustRegexMatch"].(func(string, string) (bool, error))(p, s)
				gotM, gotErr := ours["mustRegexMatch"].(func(string, string) (bool, error))(p, s)
				require.Equal(t, wantM, gotM, "mustRegexMatch %q on %.20q, round %d", p, s, round)
				require.Equal(t, wantErr, gotErr, "mustRegexMatch %q on %.20q, round %d", p, s, round)
			}
		}
	}
	_, kept := matches.get(`^[^*]*$`, plain)
	require.True(t, kept, "a long text matched more than once is kept")
}
