package mysqltarget

// StagedPages is how many pages t wrote through the staged path.
func (t *Target) StagedPages() int64 { return t.stagedPages.Load() }

// DirectPages and DirectMisses are how many pages t loaded directly and how
// many direct loads it rolled back.
func (t *Target) DirectPages() int64  { return t.directPages.Load() }
func (t *Target) DirectMisses() int64 { return t.directMisses.Load() }

// GroupMerges is how many groups of pages t merged.
func (t *Target) GroupMerges() int64 { return t.groupMerges.Load() }
