import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { ApiError, call, setCsrfToken, setUnauthenticatedHandler } from '../api/client.js';
import { api } from '../api/endpoints.js';
import type { Me } from '../api/types.js';
import { earlyOr, prefetch, takeArrived, takePrefetched } from '../lib/prefetch.js';

type SessionState =
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'error'; error: unknown }
  | { status: 'ready'; me: Me };

interface Session {
  state: SessionState;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  retry(): void;
}

const SessionContext = createContext<Session | null>(null);

const ME = 'me';
// Asked for before the app's code runs (lib/prefetch.ts, the page's first script), else as soon as the bundle
// runs, in parallel with React's first render.
prefetch(ME, () => earlyOr<Me>('/v1/me', () => api.me()));

async function loadMe(): Promise<Me> {
  const me = await (takePrefetched<Me>(ME) ?? api.me());
  setCsrfToken(me.csrfToken);
  return me;
}

/** The session when its answer arrived before the first render: the page renders signed in at once. */
let arrivedMe: Me | undefined;
function initialState(): SessionState {
  arrivedMe ??= takeArrived<Me>(ME);
  if (!arrivedMe) return { status: 'loading' };
  setCsrfToken(arrivedMe.csrfToken);
  return { status: 'ready', me: arrivedMe };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>(initialState);
  const [nonce, setNonce] = useState(0);
  const readyAtMount = useRef(state.status === 'ready');

  // nonce asks for a reload; the first is skipped when the session was already there at mount
  useEffect(() => {
    if (nonce === 0 && readyAtMount.current) return;
    let live = true;
    loadMe().then(
      (me) => live && setState({ status: 'ready', me }),
      (error) => {
        if (!live) return;
        if (error instanceof ApiError && error.status === 401) setState({ status: 'anonymous' });
        else setState({ status: 'error', error });
      },
    );
    return () => {
      live = false;
    };
  }, [nonce]);

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setCsrfToken(undefined);
      setState({ status: 'anonymous' });
    });
  }, []);

  const signIn = useCallback(async (email: string, password: string) => {
    const r = await call<{ csrfToken: string }>('POST', '/v1/auth/login', {
      body: { email, password },
      anonymous: true,
    });
    setCsrfToken(r.csrfToken);
    const me = await loadMe();
    setState({ status: 'ready', me });
  }, []);

  const signOut = useCallback(async () => {
    try {
      await call('POST', '/v1/auth/logout', { body: {}, anonymous: true });
    } catch {
      // the session is gone either way
    }
    setCsrfToken(undefined);
    setState({ status: 'anonymous' });
  }, []);

  const retry = useCallback(() => {
    setState({ status: 'loading' });
    setNonce((n) => n + 1);
  }, []);

  const value = useMemo(() => ({ state, signIn, signOut, retry }), [state, signIn, signOut, retry]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'ready') throw new Error('useMe before sign-in');
  return state.me;
}
