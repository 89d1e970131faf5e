import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { WagmiProvider } from 'wagmi';
import { App } from './App';
import { RouterProvider } from './router';
import { PlatformProvider } from './trpc';
import { createWagmiConfig } from './wagmi';
import './styles.css';

const wagmiConfig = createWagmiConfig();

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');

createRoot(root).render(
  <StrictMode>
    <PlatformProvider>
      <WagmiProvider config={wagmiConfig}>
        <RouterProvider>
          <App />
        </RouterProvider>
      </WagmiProvider>
    </PlatformProvider>
  </StrictMode>,
);
