/// <reference lib="dom" />
// The browser snippet a shop adds to its pages (GET /sdk.js, bundled by src/sdk/bundle.ts):
//
//   <script src="https://crm.example.com/sdk.js" data-key="<ingest key>" async></script>
//
// It keeps a first-party anonymousId (cookie on the shop's own domain, localStorage as a
// fallback), sends page views and `crm.track()` events in batches (queue.ts), links the visitor
// to the customer on `crm.identify()`, and shows pending on-site messages (onsite.ts). With
// data-consent="required" nothing is stored or sent until `crm.consent({ analytics: true })`.
import { renderOnsiteMessages, type OnsiteMessage } from './onsite';
import { EventQueue, type QueuedEvent } from './queue';

interface Crm {
  track(type: string, properties?: Record<string, unknown>): void;
  identify(customerId: string): void;
  consent(choice: { analytics: boolean }): void;
  /** The visitor's anonymousId (after consent, when consent is required). */
  anonymousId(): string | undefined;
  /** Sends what is queued now (the snippet also does so by itself). */
  flush(): Promise<void>;
}

declare global {
  interface Window {
    crm?: Crm & { q?: [string, unknown[]][] };
  }
}

const YEAR_S = 365 * 24 * 3600;
const ID_COOKIE = 'crm_aid';
const CUSTOMER_KEY = 'crm_cid';
const CONSENT_KEY = 'crm_consent';

const script = document.currentScript as HTMLScriptElement | null;
const apiKey = script?.dataset.key ?? '';
const consentRequired = script?.dataset.consent === 'required';
const api = new URL(script?.src ?? '/sdk.js', location.href).origin;

function uuid(): string {
  // randomUUID needs a secure context (https or localhost); getRandomValues works everywhere.
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function readCookie(name: string): string | undefined {
  const match = new RegExp(`(?:^|; )${name}=([^;]*)`).exec(document.cookie);
  return match ? decodeURIComponent(match[1]) : undefined;
}

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // blocked (privacy settings, sandboxed frame)
  }
}

/** The cookie on the shop's own domain, one year, SameSite=Lax; localStorage when cookies are off. */
function keepId(id: string): void {
  document.cookie = `${ID_COOKIE}=${encodeURIComponent(id)}; Max-Age=${YEAR_S}; Path=/; SameSite=Lax${location.protocol === 'https:' ? '; Secure' : ''}`;
  storage()?.setItem(ID_COOKIE, id);
}

let consented = !consentRequired || storage()?.getItem(CONSENT_KEY) === 'granted';
let anonymousId: string | undefined;
let customerId: string | undefined;

function loadIdentity(): void {
  anonymousId = readCookie(ID_COOKIE) ?? storage()?.getItem(ID_COOKIE) ?? uuid();
  keepId(anonymousId);
  customerId = storage()?.getItem(CUSTOMER_KEY) ?? undefined;
}

const eventsUrl = `${api}/v1/events`;
const queue = new EventQueue({
  async send(events) {
    const response = await fetch(eventsUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
      credentials: 'omit',
    });
    return { status: response.status, retryAfterS: Number(response.headers.get('retry-after')) || undefined };
  },
  // A beacon cannot carry headers: the key goes in the query, the JSON as text/plain (a simple request).
  beacon: (events) =>
    typeof navigator.sendBeacon === 'function' &&
    navigator.sendBeacon(`${eventsUrl}?key=${encodeURIComponent(apiKey)}`, new Blob([JSON.stringify({ events })], { type: 'text/plain' })),
});

function enqueue(type: string, properties: Record<string, unknown> = {}): void {
  // Before consent (data-consent="required") nothing is kept: not even to send later.
  if (!consented) return;
  const event: QueuedEvent = { id: uuid(), type, occurredAt: new Date().toISOString(), properties };
  if (anonymousId) event.anonymousId = anonymousId;
  if (customerId) event.customerId = customerId;
  queue.push(event);
}

/** The page view with where it came from: path, title, referrer and the UTM parameters. */
function pageView(): void {
  const properties: Record<string, unknown> = { path: location.pathname, title: document.title };
  if (document.referrer) properties.referrer = document.referrer;
  for (const [name, value] of new URLSearchParams(location.search)) if (name.startsWith('utm_')) properties[name] = value;
  enqueue('page_viewed', properties);
}

async function showOnsiteMessages(): Promise<void> {
  const id = customerId ?? anonymousId;
  if (!id || !consented) return;
  try {
    const response = await fetch(`${api}/v1/onsite/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${apiKey}` }, credentials: 'omit' });
    if (!response.ok) return;
    const { messages } = (await response.json()) as { messages: OnsiteMessage[] };
    renderOnsiteMessages(messages);
  } catch {
    // The shop's page works without its messages.
  }
}

let signUpOnConsent = false;

/** The first identify() of this customer on this browser: signed_up with both ids links the visitor's earlier events and messages to the customer. */
function signUp(): void {
  storage()?.setItem(CUSTOMER_KEY, customerId!);
  enqueue('signed_up', {});
  void queue.flush().then(showOnsiteMessages);
}

function start(): void {
  const identified = customerId;
  loadIdentity();
  queue.resume();
  pageView();
  if (signUpOnConsent && identified && identified !== customerId) {
    customerId = identified;
    signUp();
  } else void showOnsiteMessages();
  signUpOnConsent = false;
}

const crm: Crm = {
  track(type, properties = {}) {
    enqueue(type, properties);
  },
  identify(id) {
    if (!id || id === customerId) return;
    customerId = id;
    if (!consented) {
      signUpOnConsent = true;
      return;
    }
    signUp();
  },
  consent({ analytics }) {
    const wasConsented = consented;
    consented = analytics;
    if (consentRequired) storage()?.setItem(CONSENT_KEY, analytics ? 'granted' : 'denied');
    if (analytics && !wasConsented) start();
    if (!analytics) queue.pause();
  },
  anonymousId: () => anonymousId,
  flush: () => queue.flush(),
};

// Calls made before the snippet loaded (window.crm = window.crm || { q: [] } stubs) run now.
const early = window.crm?.q ?? [];
window.crm = crm;
if (consented) start();
else queue.pause();
for (const [method, args] of early) (crm[method as keyof Crm] as (...a: unknown[]) => unknown)(...args);

addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') queue.flushWithBeacon();
});
addEventListener('pagehide', () => queue.flushWithBeacon());

export {};
