/// <reference lib="dom" />
// On-site popups and banners, drawn in a shadow root so that neither the shop's styles nor ours
// leak into the other. Text goes in as text (never HTML). The popup is a modal dialog: focus
// moves into it and stays there (Tab cycles), Esc or the close button closes it and gives focus
// back. The call to action is the message's tracked link (/r/<token>), which records the click.
// A message shown once is not shown again (the API marks it shown; the browser remembers too).

export interface OnsiteMessage {
  id: string;
  placement: 'popup' | 'banner';
  content: string;
  action?: { url: string; label: string } | null;
}

const SHOWN_KEY = 'crm_shown';

const STYLE = `
:host { all: initial; }
.overlay { position: fixed; inset: 0; background: rgba(17, 24, 39, .55); display: flex; align-items: center; justify-content: center; z-index: 2147483646; }
.dialog, .banner { font: 15px/1.5 system-ui, -apple-system, "Apple SD Gothic Neo", "Noto Sans KR", sans-serif; color: #111827; background: #fff; box-sizing: border-box; }
.dialog { max-width: 420px; width: calc(100% - 32px); border-radius: 12px; padding: 24px; box-shadow: 0 20px 50px rgba(0,0,0,.3); position: relative; }
.banner { position: fixed; left: 0; right: 0; bottom: 0; padding: 14px 48px 14px 20px; border-top: 1px solid #e5e7eb; box-shadow: 0 -4px 16px rgba(0,0,0,.08); z-index: 2147483645; display: flex; gap: 16px; align-items: center; }
h2 { font-size: 18px; margin: 0 0 8px; }
p { margin: 0 0 16px; white-space: pre-line; }
.banner p { margin: 0; flex: 1; }
a.cta { display: inline-block; background: #1d4ed8; color: #fff; text-decoration: none; padding: 10px 18px; border-radius: 8px; font-weight: 600; }
a.cta:focus-visible, button:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
button.close { position: absolute; top: 8px; right: 8px; border: 0; background: transparent; font-size: 22px; line-height: 1; padding: 6px 10px; cursor: pointer; color: #4b5563; }
`;

function shownIds(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(SHOWN_KEY) ?? '[]') as string[]);
  } catch {
    return new Set();
  }
}

function remember(id: string): void {
  try {
    const ids = [...shownIds(), id].slice(-100);
    localStorage.setItem(SHOWN_KEY, JSON.stringify(ids));
  } catch {
    // storage blocked: the API still never serves it twice
  }
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function render(message: OnsiteMessage): void {
  const host = element('div', { 'data-crm-message': message.id });
  const root = host.attachShadow({ mode: 'open' });
  root.appendChild(element('style', {}, STYLE));
  const [title, ...rest] = message.content.trim().split('\n');
  const previousFocus = document.activeElement as HTMLElement | null;
  const close = () => {
    host.remove();
    document.removeEventListener('keydown', onKey, true);
    previousFocus?.focus?.();
  };
  const closeButton = element('button', { class: 'close', type: 'button', 'aria-label': 'Close' }, '×');
  closeButton.addEventListener('click', close);
  const cta = message.action ? element('a', { class: 'cta', href: message.action.url }, message.action.label) : null;
  const focusable = [cta, closeButton].filter((node): node is HTMLAnchorElement | HTMLButtonElement => node !== null);

  function onKey(event: KeyboardEvent): void {
    if (event.key === 'Escape' && (message.placement === 'popup' || root.activeElement)) {
      event.preventDefault();
      close();
    } else if (event.key === 'Tab' && message.placement === 'popup') {
      // Focus stays in the dialog: Tab and Shift+Tab go round its controls.
      event.preventDefault();
      const at = focusable.indexOf(root.activeElement as HTMLAnchorElement);
      const next = (at + (event.shiftKey ? -1 : 1) + focusable.length) % focusable.length;
      focusable[next].focus();
    }
  }

  if (message.placement === 'popup') {
    const overlay = element('div', { class: 'overlay' });
    const dialog = element('div', { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'crm-title', 'aria-describedby': 'crm-body' });
    dialog.append(element('h2', { id: 'crm-title' }, title), element('p', { id: 'crm-body' }, rest.join('\n')));
    if (cta) dialog.append(cta);
    dialog.append(closeButton);
    overlay.append(dialog);
    // A click on the dimmed page around the dialog closes it too.
    overlay.addEventListener('click', (event) => {
      if (event.target === overlay) close();
    });
    root.append(overlay);
  } else {
    const banner = element('div', { class: 'banner', role: 'region', 'aria-label': title });
    banner.append(element('p', {}, message.content.trim()));
    if (cta) banner.append(cta);
    banner.append(closeButton);
    root.append(banner);
  }
  document.body.appendChild(host);
  document.addEventListener('keydown', onKey, true);
  remember(message.id);
  if (message.placement === 'popup') focusable[0].focus();
}

export function renderOnsiteMessages(messages: OnsiteMessage[]): void {
  const shown = shownIds();
  for (const message of messages) if (!shown.has(message.id)) render(message);
}
