/**
 * The only way the dashboard builds DOM: elements with attributes and text children. Data from the
 * API (crime descriptions, locations, area names) comes from outside, so it is only ever set through
 * `textContent` and attribute setters, never through `innerHTML`; `href` values are checked to be
 * http(s) or same-origin paths so a `javascript:` URL can never become a link.
 */
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined | null> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'href' || k === 'src') {
      const safe = safeUrl(String(v));
      if (safe !== null) el.setAttribute(k, safe);
      continue;
    }
    if (k.startsWith('on')) throw new Error(`h(): event handler attributes are not allowed (${k})`);
    el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's children (text only for strings). */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** http(s) absolute URLs and same-origin paths pass; anything else (javascript:, data:...) is dropped. */
export function safeUrl(url: string): string | null {
  const t = url.trim();
  if (t.startsWith('/') && !t.startsWith('//')) return t;
  try {
    const u = new URL(t, window.location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-GB');
export const fmtNum = (n: number, digits = 1): string =>
  n.toLocaleString('en-GB', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
export const fmtP = (p: number): string => (p < 0.0001 ? '< 0.0001' : p.toPrecision(2));
export const fmtTime = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
