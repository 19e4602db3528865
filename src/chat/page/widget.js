// Embeddable chat widget: <script type="module" src="/chat/widget.js"></script> adds a "Chat" button
// that opens the chat page (/chat) in a panel. window.CrimePulseChat.open(question?) opens it from
// code (e.g. a dashboard button), optionally asking a first question.
const ORIGIN = new URL(import.meta.url).origin;

function build() {
  const button = document.createElement('button');
  button.type = 'button';
  button.id = 'crimepulse-chat-toggle';
  button.textContent = 'Chat';
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'crimepulse-chat-panel');
  Object.assign(button.style, {
    position: 'fixed',
    right: '1rem',
    bottom: '1rem',
    zIndex: '2147483000',
    padding: '0.6rem 1rem',
    borderRadius: '999px',
    border: '0',
    background: '#b3261e',
    color: '#fff',
    font: '600 1rem system-ui, sans-serif',
    cursor: 'pointer',
  });

  const panel = document.createElement('div');
  panel.id = 'crimepulse-chat-panel';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', 'CrimePulse assistant');
  panel.hidden = true;
  Object.assign(panel.style, {
    position: 'fixed',
    right: '1rem',
    bottom: '4rem',
    width: 'min(26rem, calc(100vw - 2rem))',
    height: 'min(36rem, calc(100vh - 6rem))',
    zIndex: '2147483000',
    boxShadow: '0 4px 24px rgba(0,0,0,.3)',
    borderRadius: '0.75rem',
    overflow: 'hidden',
    background: '#fff',
  });

  const frame = document.createElement('iframe');
  frame.title = 'CrimePulse assistant';
  frame.id = 'crimepulse-chat-frame';
  Object.assign(frame.style, { width: '100%', height: '100%', border: '0' });
  panel.append(frame);

  function open(question) {
    const url = new URL('/chat', ORIGIN);
    if (typeof question === 'string' && question.trim()) url.searchParams.set('q', question.slice(0, 1000));
    if (!frame.src || question) frame.src = url.toString();
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    frame.focus();
  }
  function close() {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    button.focus();
  }
  button.addEventListener('click', () => (panel.hidden ? open() : close()));
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !panel.hidden) close();
  });
  window.addEventListener('message', (e) => {
    if (e.origin === ORIGIN && e.source === frame.contentWindow && e.data?.type === 'crimepulse-chat-close')
      close();
  });
  document.body.append(button, panel);
  return { open, close };
}

if (!window.CrimePulseChat) {
  const start = () => {
    window.CrimePulseChat = build();
  };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
}
