import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { API, getJson, storedToken, storeToken } from './api.js';
import { ConfigPage } from './config.js';
import { LivePage } from './live.js';
import { ModelsPage } from './models.js';
import { PlaygroundPage } from './playground.js';
import { ReplayPage } from './replay.js';
import { SavingsPage } from './savings.js';
import type { DashboardInfo } from './types.js';
import './style.css';

const PAGES = [
  ['live', 'Live traffic'],
  ['playground', 'Playground'],
  ['savings', 'Savings'],
  ['config', 'Config'],
  ['replay', 'Replay'],
  ['models', 'Models & ratings'],
] as const;
type Page = (typeof PAGES)[number][0];

function currentPage(): Page {
  const name = location.hash.slice(1);
  return PAGES.some(([page]) => page === name) ? (name as Page) : 'live';
}

function App() {
  const [page, setPage] = useState<Page>(currentPage());
  const [info, setInfo] = useState<DashboardInfo | undefined>();
  const [token, setToken] = useState(storedToken());
  useEffect(() => {
    const onHash = () => setPage(currentPage());
    addEventListener('hashchange', onHash);
    getJson<DashboardInfo>(`${API}/info`).then(setInfo, () => undefined);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  // Writes need the server to have a token and this browser to send one; the server checks it.
  const writable = info?.writable === true && token !== '';
  return (
    <>
      <header>
        <h1>Switchyard</h1>
        <nav>
          {PAGES.map(([name, title]) => (
            <a key={name} href={`#${name}`} class={name === page ? 'on' : ''} data-page={name}>{title}</a>
          ))}
        </nav>
        <span class="spacer" />
        <span class="muted">{info === undefined ? '' : info.writable ? 'writes need the token' : 'read-only (no token configured)'}</span>
        <input
          id="token"
          type="password"
          placeholder="write token"
          value={token}
          onInput={(event) => {
            const value = (event.target as HTMLInputElement).value;
            setToken(value);
            storeToken(value);
          }}
        />
      </header>
      <main>
        {page === 'live' ? <LivePage /> : null}
        {page === 'playground' ? <PlaygroundPage writable={writable} /> : null}
        {page === 'savings' ? <SavingsPage /> : null}
        {page === 'config' ? <ConfigPage writable={token !== ''} /> : null}
        {page === 'replay' ? <ReplayPage writable={token !== ''} promptsRecorded={info?.promptsRecorded === true} /> : null}
        {page === 'models' ? <ModelsPage /> : null}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
