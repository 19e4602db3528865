/** Minimal types for the parts of plotly.js the dashboard uses (the dist bundles ship none). */
declare module 'plotly.js-cartesian-dist-min' {
  export type Data = Record<string, unknown>;
  export type Layout = Record<string, unknown>;
  export interface PlotlyHTMLElement extends HTMLElement {
    on(
      event: 'plotly_click',
      cb: (e: { points: { customdata?: unknown; pointIndex?: number }[] }) => void,
    ): void;
    removeAllListeners?(event: string): void;
  }
  const Plotly: {
    react(
      el: HTMLElement,
      data: Data[],
      layout: Layout,
      config?: Record<string, unknown>,
    ): Promise<PlotlyHTMLElement>;
    purge(el: HTMLElement): void;
    Plots: { resize(el: HTMLElement): void };
  };
  export default Plotly;
}
declare module 'plotly.js-dist-min' {
  import Plotly from 'plotly.js-cartesian-dist-min';
  export default Plotly;
}
