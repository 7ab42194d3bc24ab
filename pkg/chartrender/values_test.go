package chartrender

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Renderings of a chart whose processed chart is shared (dependencies without conditions or tags)
// run at once with different values, and each sees its own values (go test -race checks the sharing).
func TestConcurrentRendersShareTheProcessedChart(t *testing.T) {
	ch, err := Load("../../tests/testdata/values-deps/fixed")
	require.NoError(t, err)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			region := fmt.Sprintf("region-%d", i)
			res, err := Render(ch, Options{Values: map[string]interface{}{"global": map[string]interface{}{"region": region}}})
			if err != nil {
				errs <- err
				return
			}
			if m := res.Manifest(); !strings.Contains(m, `\"region\":\"`+region+`\"`) || strings.Count(m, `\"region\":\"region-`) != strings.Count(m, region+`\"`) {
				errs <- fmt.Errorf("rendering %d does not see its own region:\n%s", i, m)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
