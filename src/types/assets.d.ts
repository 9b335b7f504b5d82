// Text assets bundled by esbuild's text loader (bin/build.mjs) and by tsx in development.
declare module '*.hbs' {
  const text: string;
  export default text;
}
