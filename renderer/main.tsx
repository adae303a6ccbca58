// Must run before any schema parses (see zod-setup.ts).
import './zod-setup.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { pickBridge } from './api/bridge.js';
import { App } from './app/App.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App bridge={pickBridge()} />
  </StrictMode>,
);
