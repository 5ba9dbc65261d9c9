package mysqltarget

// StagedPages is how many pages t wrote through the staged path.
func (t *Target) StagedPages() int64 { return t.stagedPages.Load() }
