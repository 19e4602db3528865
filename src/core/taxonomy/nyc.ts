/**
 * NYPD codes → canonical categories, shared by complaints (`qgea-i56i`/`5uac-w243`), arrests
 * (`uip8-fykc`/`8h9b-rp9u`) and shootings (`833y-fsy8`/`5ucz-vwe8`). Order of evidence: PD_DESC
 * rules for the catch-all offence keys (KY_CD 125/126/355/359/361/678 ... hold anything from
 * contempt to reckless endangerment), then the KY_CD table, then OFNS_DESC text (the historic data
 * has rows with a code and an empty description, and the other way round), then LAW_CAT_CD only to
 * name the `other` subcategory. Unknown → `other`/`unmapped`, counted by the caller.
 *
 * Choices (why): aggravated harassment and menacing are `violence` (ONS: stalking, harassment and
 * threats are violence against the person); endangering the welfare of a child is `violence`
 * (child cruelty/neglect); criminal trespass, contempt and traffic/intoxicated driving are
 * `public-order`; tax-law and administrative-code offences are deliberately `other`.
 */
import type { Category } from '../categories.js';
import { type TaxonomyMapping, UNMAPPED } from './mapping.js';

export interface NycOffenceInput {
  kyCd?: string | undefined;
  ofnsDesc?: string | undefined;
  pdCd?: string | undefined;
  pdDesc?: string | undefined;
  lawCat?: string | undefined;
}

const m = (category: Category, subcategory: string): TaxonomyMapping => ({ category, subcategory });

/** NYPD offence keys (KY_CD). Three-digit keys 1xx are felonies, 2xx/3xx misdemeanours, 5xx/6xx violations. */
const KY: Record<string, TaxonomyMapping> = {
  '101': m('violence', 'murder'),
  '102': m('violence', 'negligent-homicide'),
  '103': m('violence', 'negligent-homicide'),
  '104': m('sexual-offences', 'rape'),
  '105': m('robbery', 'robbery'),
  '106': m('violence', 'felony-assault'),
  '107': m('burglary', 'burglary'),
  '109': m('theft', 'grand-larceny'),
  '110': m('vehicle-crime', 'motor-vehicle-theft'),
  '111': m('theft', 'possession-stolen-property'),
  '112': m('fraud', 'theft-fraud'),
  '113': m('fraud', 'forgery'),
  '114': m('arson', 'arson'),
  '115': m('public-order', 'prostitution'),
  '116': m('sexual-offences', 'sex-crime'),
  '117': m('drugs', 'dangerous-drugs'),
  '118': m('weapons', 'dangerous-weapons'),
  '119': m('public-order', 'intoxicated-driving'),
  '120': m('violence', 'child-abandonment'),
  '121': m('criminal-damage', 'criminal-mischief'),
  '122': m('public-order', 'gambling'),
  '124': m('violence', 'kidnapping'),
  '125': m('other', 'nys-unclassified-felony'),
  '230': m('theft', 'jostling'),
  '231': m('burglary', 'burglars-tools'),
  '232': m('theft', 'possession-stolen-property'),
  '233': m('sexual-offences', 'sex-crime'),
  '234': m('public-order', 'prostitution'),
  '235': m('drugs', 'dangerous-drugs'),
  '236': m('weapons', 'dangerous-weapons'),
  '237': m('public-order', 'escape'),
  '238': m('fraud', 'fraudulent-accosting'),
  '340': m('fraud', 'fraud'),
  '341': m('theft', 'petit-larceny'),
  '342': m('vehicle-crime', 'motor-vehicle-theft'),
  '343': m('theft', 'other-theft'),
  '344': m('violence', 'assault-3'),
  '345': m('violence', 'offence-against-children'),
  '346': m('public-order', 'alcohol-control'),
  '347': m('public-order', 'intoxicated-driving'),
  '348': m('public-order', 'traffic'),
  '349': m('public-order', 'disruption-religious-service'),
  '350': m('public-order', 'gambling'),
  '351': m('criminal-damage', 'criminal-mischief'),
  '352': m('public-order', 'trespass'),
  '353': m('vehicle-crime', 'unauthorized-use-of-vehicle'),
  '355': m('violence', 'offence-against-person'),
  '356': m('public-order', 'prostitution'),
  '357': m('fraud', 'fortune-telling'),
  '358': m('fraud', 'fraud'),
  '359': m('public-order', 'public-administration'),
  '361': m('public-order', 'public-order-sensibility'),
  '362': m('other', 'offence-against-marriage'),
  '363': m('public-order', 'public-safety'),
  '364': m('other', 'other-state-law'),
  '365': m('other', 'administrative-code'),
  '366': m('other', 'health-code'),
  '455': m('weapons', 'weapon-on-school-grounds'),
  '460': m('public-order', 'loitering'),
  '571': m('public-order', 'gambling'),
  '572': m('public-order', 'disorderly-conduct'),
  '577': m('drugs', 'under-influence'),
  '578': m('violence', 'harassment'),
  '672': m('public-order', 'loitering'),
  '675': m('other', 'administrative-code'),
  '676': m('other', 'health-code'),
  '677': m('other', 'other-state-law'),
  '685': m('other', 'administrative-code'),
  '881': m('public-order', 'traffic'),
};

/** PD_DESC rules, tried first: they refine catch-all keys and the keys above that mix offences. */
const PD_RULES: readonly [RegExp, TaxonomyMapping][] = [
  [/MARIJUANA|CONTROLLED SUBSTANCE|DRUG|NARCOTIC/, m('drugs', 'dangerous-drugs')],
  [/^CHILD, ENDANGERING|ENDANGERING WELFARE/, m('violence', 'child-endangerment')],
  [/AGGRAVATED HARASSMENT|HARASSMENT/, m('violence', 'harassment')],
  [/MENACING|RECKLESS ENDANGERMENT|STRANGULATION|ASSAULT/, m('violence', 'menacing-endangerment')],
  [/CUSTODIAL INTERFERENCE|UNLAWFUL IMPRISONMENT|KIDNAPPING/, m('violence', 'kidnapping')],
  [/ORDER OF PROTECTI|CONTEMPT/, m('public-order', 'court-order-violation')],
  [
    /RESISTING ARREST|OBSTR|PUBLIC ADMINIST|BRIBERY|FALSE REPORT|ESCAPE/,
    m('public-order', 'public-administration'),
  ],
  [/TRESPASS/, m('public-order', 'trespass')],
  [
    /UNAUTHORIZED USE VEHICLE|UNAUTHORIZED USE OF A VEHICLE/,
    m('vehicle-crime', 'unauthorized-use-of-vehicle'),
  ],
  [/UNAUTHORIZED RECORDING|MONEY LAUNDERING|FRAUD|FORGERY|IDENTITY THEFT/, m('fraud', 'fraud')],
  [/LEWDNESS|SEXUAL|SODOMY|RAPE|OBSCEN|INCEST/, m('sexual-offences', 'sex-crime')],
  [/WEAPON|FIREARM/, m('weapons', 'dangerous-weapons')],
  [/ARSON/, m('arson', 'arson')],
  [/MISCHIEF|GRAFFITI/, m('criminal-damage', 'criminal-mischief')],
  [/LARCENY|THEFT|STOLEN PROPERTY/, m('theft', 'other-theft')],
  [/TAX LAW/, m('other', 'tax-law')],
];

/** Keys whose OFNS_DESC is a catch-all: PD_DESC rules decide before the key table. */
const CATCH_ALL_KEYS = new Set(['125', '126', '355', '359', '360', '361', '363', '364', '365', '677', '678']);

/** OFNS_DESC text, for rows whose key is missing or unknown. */
const OFNS_RULES: readonly [RegExp, TaxonomyMapping][] = [
  [/MURDER|HOMICIDE/, m('violence', 'homicide')],
  [/RAPE|SEX CRIMES|SEXUAL/, m('sexual-offences', 'sex-crime')],
  [/ROBBERY/, m('robbery', 'robbery')],
  [/ASSAULT/, m('violence', 'assault')],
  [/HARR?ASSMENT/, m('violence', 'harassment')],
  [/KIDNAPPING/, m('violence', 'kidnapping')],
  [/BURGLAR/, m('burglary', 'burglary')],
  [/MOTOR VEHICLE|UNAUTHORIZED USE OF A VEHICLE/, m('vehicle-crime', 'motor-vehicle-theft')],
  [/LARCENY|THEFT|STOLEN PROPERTY|JOSTLING/, m('theft', 'other-theft')],
  [/FRAUD|FORGERY/, m('fraud', 'fraud')],
  [/ARSON/, m('arson', 'arson')],
  [/DRUGS/, m('drugs', 'dangerous-drugs')],
  [/WEAPONS/, m('weapons', 'dangerous-weapons')],
  [/MISCHIEF/, m('criminal-damage', 'criminal-mischief')],
  [
    /PROSTITUTION|GAMBLING|TRESPASS|DISORDERLY|LOITERING|INTOXICATED|TRAFFIC|ALCOHOLIC|PUB ORD|PUBLIC ADMIN|PUBLIC SAFETY/,
    m('public-order', 'public-order'),
  ],
];

const norm = (s: string | undefined): string => (s ?? '').trim().toUpperCase().replace(/\s+/g, ' ');

function firstMatch(text: string, rules: readonly [RegExp, TaxonomyMapping][]): TaxonomyMapping | undefined {
  if (!text) return undefined;
  for (const [re, mapping] of rules) if (re.test(text)) return mapping;
  return undefined;
}

/** Maps one complaint or arrest row. Pure; the caller counts `unmapped` results. */
export function mapNycOffence(input: NycOffenceInput): TaxonomyMapping {
  const ky = norm(input.kyCd);
  const pd = norm(input.pdDesc);
  const ofns = norm(input.ofnsDesc);
  if (CATCH_ALL_KEYS.has(ky) || !KY[ky]) {
    const byPd = firstMatch(pd, PD_RULES);
    if (byPd) return byPd;
  }
  // Child endangerment sits under the sex-crimes key 233; it is not a sexual offence.
  if (ky === '233' && /ENDANGERING WELFARE|CHILD, ENDANGERING/.test(pd))
    return m('violence', 'child-endangerment');
  const byKey = KY[ky];
  if (byKey) return byKey;
  const byOfns = firstMatch(ofns, OFNS_RULES);
  if (byOfns) return byOfns;
  return UNMAPPED;
}

/** Every NYPD shooting-incident row is a person shot; STATISTICAL_MURDER_FLAG marks a death counted as murder. */
export function mapNycShooting(murder: boolean): TaxonomyMapping {
  return murder ? m('violence', 'shooting-murder') : m('violence', 'shooting');
}
