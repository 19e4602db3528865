// The chat page: talks to Rasa's REST channel at /webhooks/rest/webhook. Every string from the server
// is rendered as text nodes (no HTML parsing at all); links are made only for http(s) or same-site URLs.
const WEBHOOK = new URL('/webhooks/rest/webhook', window.location.href).toString();
const MAX_CHARS = 1000;

const log = document.getElementById('chat-log');
const form = document.getElementById('chat-form');
const input = document.getElementById('chat-input');
const send = document.getElementById('chat-send');
const status = document.getElementById('chat-status');

function senderId() {
  const key = 'crimepulse-chat-sender';
  try {
    let id = sessionStorage.getItem(key);
    if (!id) {
      id = crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
      sessionStorage.setItem(key, id);
    }
    return id;
  } catch {
    return 'anonymous';
  }
}
const sender = senderId();

/** An http(s) URL or a same-site path; anything else (javascript:, data:) is refused. */
export function safeHref(href) {
  if (typeof href !== 'string' || href.length > 2000) return null;
  try {
    const url = new URL(href, window.location.href);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    // Inside the widget's frame, dashboard links open in the top window.
    return url.toString();
  } catch {
    return null;
  }
}

const URL_IN_TEXT = /(https?:\/\/[^\s]+|\/\?[^\s]+)/g;

/** Text with URLs turned into links, built from text nodes only. */
function renderText(el, text) {
  let at = 0;
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const raw = m[0].replace(/[.,;)]+$/, '');
    el.append(document.createTextNode(text.slice(at, m.index)));
    const href = safeHref(raw);
    if (href) {
      const a = document.createElement('a');
      a.href = href;
      a.textContent = raw;
      a.target = window.top === window ? '_self' : '_top';
      a.className = 'chat-link';
      el.append(a);
    } else el.append(document.createTextNode(raw));
    at = (m.index ?? 0) + raw.length;
  }
  el.append(document.createTextNode(text.slice(at)));
}

function addMessage(who, msg, isError = false) {
  const div = document.createElement('div');
  div.className = `chat-message from-${who}${isError ? ' error' : ''}`;
  if (typeof msg.text === 'string') renderText(div, msg.text);
  if (typeof msg.image === 'string' && safeHref(msg.image)) {
    const img = document.createElement('img');
    img.src = safeHref(msg.image);
    img.alt = 'Image from the assistant';
    img.className = 'chat-image';
    div.append(img);
  }
  if (Array.isArray(msg.buttons) && msg.buttons.length > 0) {
    const group = document.createElement('div');
    group.className = 'chat-buttons';
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Suggested replies');
    for (const b of msg.buttons.slice(0, 10)) {
      if (!b || typeof b.title !== 'string' || typeof b.payload !== 'string') continue;
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'chat-button';
      btn.textContent = b.title;
      btn.dataset.payload = b.payload;
      btn.addEventListener('click', () => ask(b.payload, b.title));
      group.append(btn);
    }
    div.append(group);
  }
  log.append(div);
  log.scrollTop = log.scrollHeight;
  return div;
}

function setBusy(busy) {
  send.disabled = busy;
  input.setAttribute('aria-busy', String(busy));
  status.textContent = busy ? 'The assistant is typing…' : '';
  log.setAttribute('aria-busy', String(busy));
}

async function ask(message, shown = message) {
  const text = message.trim();
  if (!text) return;
  if (text.length > MAX_CHARS) {
    addMessage('bot', { text: `That message is too long: at most ${MAX_CHARS} characters.` }, true);
    return;
  }
  addMessage('user', { text: shown });
  setBusy(true);
  try {
    const res = await fetch(WEBHOOK, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ sender, message: text }),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const why = body && typeof body.message === 'string' ? body.message : `HTTP ${res.status}`;
      addMessage('bot', { text: `Sorry, that failed: ${why}` }, true);
      return;
    }
    const messages = Array.isArray(body) ? body : [];
    if (messages.length === 0) addMessage('bot', { text: '(no answer)' });
    for (const m of messages) if (m && typeof m === 'object') addMessage('bot', m);
  } catch {
    addMessage(
      'bot',
      { text: 'Sorry, the assistant cannot be reached. Check your connection and try again.' },
      true,
    );
  } finally {
    setBusy(false);
    input.focus();
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const v = input.value;
  input.value = '';
  void ask(v);
});

// Inside the widget's frame, Escape closes the panel (the parent listens for this message).
if (window.parent !== window) {
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') window.parent.postMessage({ type: 'crimepulse-chat-close' }, '*');
  });
}

const initial = new URLSearchParams(window.location.search).get('q');
if (initial) void ask(initial.slice(0, MAX_CHARS));
else
  addMessage('bot', {
    text: 'Hello! Ask me about CrimePulse or its data.',
    buttons: [{ title: 'What can you do?', payload: '/help' }],
  });
input.focus();
