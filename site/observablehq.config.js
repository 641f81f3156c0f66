// Observable Framework configuration. The site must build and run with no third-party host:
// no web fonts from Google (globalStylesheets: []), and every library imported from node_modules.
export default {
  root: "src",
  output: "dist",
  title: "Cambodia National AI Observatory",
  globalStylesheets: [],
  head: '<link rel="icon" href="data:,"><meta name="description" content="Cambodia National AI Observatory: the National AI Strategy, governance timeline and indicators, with their sources.">',
  footer: "Cambodia National AI Observatory. Every figure links to its source; data downloads are Parquet under data/exports.",
  pager: false,
  search: false,
};
