"""The catalog: records and the section registry, files and overlays, validation, the
compiled cache. Import from the submodules: `store` (Catalog), `load` (load_catalog),
`schema`, `sections`, `rows`, `files`, `cache`, `validation`, `templates`."""
