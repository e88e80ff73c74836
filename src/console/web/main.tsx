import { render } from 'preact';

// Placeholder until the console's pages land: proves the build (TSX → one ES module) and the CSP.

function App() {
  return <h1>HL7 v2 listener console</h1>;
}

const root = document.getElementById('app');
if (root !== null) render(<App />, root);
