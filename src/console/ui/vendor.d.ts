/** cytoscape-elk ships no types: it is a cytoscape extension, registered with `cytoscape.use`. */
declare module 'cytoscape-elk' {
  const extension: import('cytoscape').Ext;
  export default extension;
}
