"""Everything the user sees: the environment (`env`), formats and cells (`formats`), the
terminal table (`table`), listings and their one emitter (`listing`), the detail views
(`detail`, `compare`, `estimate_view`), the export (`export`) and writing (`write`)."""
