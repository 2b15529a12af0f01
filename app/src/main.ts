import { App } from './app';
import { jobsPage } from './pages/jobs';
import { overviewPage } from './pages/overview';
import { postPage } from './pages/post';
import { stakePage } from './pages/stake';
import { renderShell, ROUTES } from './ui/shell';
import './style.css';

type Page = (app: App, root: HTMLElement) => () => void;
const PAGES: Record<string, Page> = {
  '/': overviewPage,
  '/post': postPage,
  '/jobs': jobsPage,
  '/stake': stakePage,
};

async function main(): Promise<void> {
  // Browser tests inject a keypair; only then, and never in a production build, is the
  // test wallet loaded (and registered with the Wallet Standard like any extension).
  if (import.meta.env.MODE !== 'production' && window.__IGNIS_TEST_WALLET__) {
    const { registerTestWallet } = await import('./testing/testWallet');
    await registerTestWallet(window.__IGNIS_TEST_WALLET__);
  }

  const app = new App();
  const { main, nav } = renderShell(app);
  let cleanup: (() => void) | null = null;

  const route = () => {
    const path = location.hash.replace(/^#/, '') || '/';
    const known = ROUTES.some((r) => r.path === path) ? path : '/';
    for (const link of nav.querySelectorAll('a')) {
      link.toggleAttribute('aria-current', link.dataset.path === known);
      if (link.dataset.path === known) link.setAttribute('aria-current', 'page');
    }
    cleanup?.();
    main.replaceChildren();
    main.dataset.page = known;
    cleanup = PAGES[known]!(app, main);
    window.scrollTo(0, 0);
  };
  window.addEventListener('hashchange', route);
  route();
  await app.start();
  document.body.dataset.ready = 'true';
}

void main();
