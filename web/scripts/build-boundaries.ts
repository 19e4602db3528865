/**
 * Builds the dashboard's area outlines (web/public/boundaries/*.json) from the real boundary files in
 * ../shared/data/boundaries (see their PROVENANCE.md). Run once by hand when those files change:
 * `npx tsx web/scripts/build-boundaries.ts [boundariesDir]`; the output is committed, so the app and
 * its tests never need /work/shared.
 *
 * Each output is `{ source, joinField, features: [{ id, name, rings }] }` where `id` is the crime
 * side's `areaId` upper-cased (the join key PROVENANCE.md gives) and `rings` are [lon, lat] pairs
 * rounded to 4 decimals (about 10 m) with a Douglas–Peucker pass at the same tolerance. Hand-written
 * because mapshaper is not a dependency and a browser dashboard needs outlines, not survey accuracy.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Ring = [number, number][];
interface Feature {
  properties: Record<string, unknown>;
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: unknown };
}

const dir = process.argv[2] ?? '/work/shared/data/boundaries';
const outDir = join(import.meta.dirname, '..', 'public', 'boundaries');
const TOL = 0.0002;

function perpDist(p: [number, number], a: [number, number], b: [number, number]): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy);
  if (len === 0) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  return Math.abs(dy * p[0] - dx * p[1] + b[0] * a[1] - b[1] * a[0]) / len;
}

function simplify(ring: Ring): Ring {
  if (ring.length <= 4) return ring;
  const keep = new Uint8Array(ring.length);
  keep[0] = 1;
  keep[ring.length - 1] = 1;
  const stack: [number, number][] = [[0, ring.length - 1]];
  while (stack.length > 0) {
    const [s, e] = stack.pop()!;
    let max = 0;
    let idx = -1;
    for (let i = s + 1; i < e; i++) {
      const d = perpDist(ring[i]!, ring[s]!, ring[e]!);
      if (d > max) {
        max = d;
        idx = i;
      }
    }
    if (idx >= 0 && max > TOL) {
      keep[idx] = 1;
      stack.push([s, idx], [idx, e]);
    }
  }
  const out = ring.filter((_, i) => keep[i] === 1);
  return out.length >= 4 ? out : ring;
}

const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

function rings(f: Feature): number[][][] {
  const polys = (
    f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates
  ) as Ring[][];
  const out: number[][][] = [];
  for (const poly of polys) {
    for (const ring of poly) {
      const rounded: Ring = [];
      for (const [lon, lat] of ring) {
        const p: [number, number] = [r4(lon), r4(lat)];
        const last = rounded[rounded.length - 1];
        if (!last || last[0] !== p[0] || last[1] !== p[1]) rounded.push(p);
      }
      const s = simplify(rounded);
      if (s.length >= 4) out.push(s);
    }
  }
  return out;
}

interface Spec {
  out: string;
  file: string;
  sources: string[];
  joinField: string;
  licence: string;
  id: (p: Record<string, unknown>) => string;
  name: (p: Record<string, unknown>) => string;
}

const LA_ALIASES: Record<string, string> = {
  'WEST LOS ANGELES': 'WEST LA',
  'NORTH HOLLYWOOD': 'N HOLLYWOOD',
};

const specs: Spec[] = [
  {
    out: 'chicago-community-areas.json',
    file: 'chicago/chicago_community_areas.geojson',
    sources: ['chicago'],
    joinField: 'community area number (areaId)',
    licence: 'City of Chicago Data Portal Terms of Use',
    id: (p) => String(p.area_numbe),
    name: (p) => String(p.community),
  },
  {
    out: 'nyc-police-precincts.json',
    file: 'nyc/nyc_police_precincts.geojson',
    sources: ['nyc-complaints', 'nyc-arrests', 'nyc-shootings'],
    joinField: 'precinct (areaId)',
    licence: 'NYC Open Data Terms of Use',
    id: (p) => String(Number.parseInt(String(p.precinct), 10)),
    name: (p) => `Precinct ${Number.parseInt(String(p.precinct), 10)}`,
  },
  {
    out: 'la-divisions.json',
    file: 'la/LAPD_Divisions.geojson',
    sources: ['la'],
    joinField: 'division name (areaId, upper-cased; West LA and N Hollywood aliased)',
    licence: 'City of Los Angeles open data / GeoHub terms of use',
    id: (p) => LA_ALIASES[String(p.APREC)] ?? String(p.APREC),
    name: (p) => String(p.APREC),
  },
  {
    out: 'sf-police-districts.json',
    file: 'sf/sfpd_police_districts.geojson',
    sources: ['socrata-sf'],
    joinField: 'police district (areaId, upper-cased)',
    licence: 'DataSF: ODC PDDL (public domain)',
    id: (p) => String(p.district).toUpperCase(),
    name: (p) => String(p.district),
  },
  {
    out: 'uk-city-of-london-lsoa.json',
    file: 'uk/city_of_london_lsoa11.geojson',
    sources: ['uk-police'],
    joinField: 'LSOA code (areaId)',
    licence:
      'OGL v3: Contains National Statistics data © Crown copyright and database right 2012. Contains Ordnance Survey data © Crown copyright and database right 2012.',
    id: (p) => String(p.LSOA11CD),
    name: (p) => String(p.LSOA11NM),
  },
];

const index: { file: string; sources: string[]; joinField: string; licence: string }[] = [];
for (const spec of specs) {
  const gj = JSON.parse(readFileSync(join(dir, spec.file), 'utf8')) as { features: Feature[] };
  const features = gj.features.map((f) => ({
    id: spec.id(f.properties),
    name: spec.name(f.properties),
    rings: rings(f),
  }));
  const body = JSON.stringify({
    sources: spec.sources,
    joinField: spec.joinField,
    licence: spec.licence,
    features,
  });
  writeFileSync(join(outDir, spec.out), body);
  index.push({ file: spec.out, sources: spec.sources, joinField: spec.joinField, licence: spec.licence });
  console.log(`${spec.out}: ${features.length} features, ${body.length} bytes`);
}
writeFileSync(join(outDir, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
