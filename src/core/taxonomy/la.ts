/**
 * Los Angeles (`2nrs-mtv8`) `crm_cd` (Crm Cd) codes → canonical categories. The LAPD code list is
 * long but stable; the table below holds every code of the published list we know, and the
 * description rules catch codes added later. Unknown → `other`/`unmapped`, counted by the caller.
 *
 * Choices (why): "BURGLARY FROM VEHICLE" and "THEFT FROM MOTOR VEHICLE" are `vehicle-crime` (the
 * UK's vehicle crime includes theft from vehicles, and the two are one problem in LA data); identity
 * theft, bunco, embezzlement and bad documents are `fraud`; criminal threats, stalking, restraining-
 * order breaches of a person and lewd phone calls are `violence`/`sexual-offences`; court-order and
 * contempt are `public-order`; "OTHER MISCELLANEOUS CRIME" (946) is deliberately `other`.
 */
import type { Category } from '../categories.js';
import { type TaxonomyMapping, UNMAPPED } from './mapping.js';

const m = (category: Category, subcategory: string): TaxonomyMapping => ({ category, subcategory });

const V = (s: string) => m('violence', s);
const S = (s: string) => m('sexual-offences', s);
const T = (s: string) => m('theft', s);
const VC = (s: string) => m('vehicle-crime', s);
const F = (s: string) => m('fraud', s);
const P = (s: string) => m('public-order', s);

const CODES: Record<string, TaxonomyMapping> = {
  '110': V('homicide'),
  '113': V('manslaughter'),
  '121': S('rape'),
  '122': S('rape'),
  '210': m('robbery', 'robbery'),
  '220': m('robbery', 'attempted-robbery'),
  '230': V('aggravated-assault'),
  '231': V('aggravated-assault-on-officer'),
  '235': V('child-abuse'),
  '236': V('domestic-aggravated-assault'),
  '237': V('child-neglect'),
  '250': m('weapons', 'shots-fired'),
  '251': m('weapons', 'shots-fired'),
  '310': m('burglary', 'burglary'),
  '320': m('burglary', 'attempted-burglary'),
  '330': VC('burglary-from-vehicle'),
  '331': VC('theft-from-vehicle'),
  '341': T('grand-theft'),
  '343': T('shoplifting'),
  '345': T('employee-theft'),
  '347': T('grand-theft'),
  '349': T('grand-theft'),
  '350': T('theft-from-person'),
  '351': T('theft-from-person'),
  '352': T('theft-from-person'),
  '353': T('theft-from-person'),
  '354': F('identity-theft'),
  '410': VC('burglary-from-vehicle'),
  '420': VC('theft-from-vehicle'),
  '421': VC('theft-from-vehicle'),
  '432': P('blocking-door-induction-center'),
  '433': VC('driving-without-owner-consent'),
  '434': V('false-imprisonment'),
  '435': P('lynching'),
  '436': P('lynching'),
  '437': P('resisting-arrest'),
  '438': P('reckless-driving'),
  '439': P('false-police-report'),
  '440': T('petty-theft'),
  '441': T('petty-theft'),
  '442': T('shoplifting'),
  '443': T('shoplifting'),
  '444': T('petty-theft'),
  '445': T('petty-theft'),
  '450': T('theft-from-person'),
  '451': T('theft-from-person'),
  '452': T('theft-from-person'),
  '453': T('theft-from-person'),
  '470': T('till-tap'),
  '471': T('till-tap'),
  '473': T('theft-from-vehicle-parts'),
  '474': T('theft-from-vehicle-parts'),
  '475': T('theft-from-vehicle-parts'),
  '480': T('bicycle-theft'),
  '485': T('bicycle-theft'),
  '487': VC('boat-theft'),
  '491': VC('boat-theft'),
  '510': VC('vehicle-theft'),
  '520': VC('attempted-vehicle-theft'),
  '522': VC('vehicle-theft'),
  '622': V('battery-on-firefighter'),
  '623': V('battery-on-officer'),
  '624': V('simple-assault'),
  '625': V('other-assault'),
  '626': V('domestic-simple-assault'),
  '627': V('child-abuse'),
  '647': V('throwing-object-at-vehicle'),
  '648': m('arson', 'arson'),
  '649': F('forgery'),
  '651': F('bad-documents'),
  '652': F('bad-documents'),
  '653': F('card-fraud'),
  '654': F('card-fraud'),
  '660': F('counterfeit'),
  '661': F('computer-access'),
  '662': F('bunco'),
  '664': F('bunco'),
  '666': F('bunco'),
  '668': F('embezzlement'),
  '670': F('embezzlement'),
  '740': m('criminal-damage', 'vandalism-felony'),
  '745': m('criminal-damage', 'vandalism-misdemeanour'),
  '753': m('weapons', 'shots-fired'),
  '755': P('bomb-scare'),
  '756': m('weapons', 'weapons-possession'),
  '760': S('lewd-acts-with-child'),
  '761': m('weapons', 'brandish-weapon'),
  '762': S('lewd-conduct'),
  '763': V('stalking'),
  '805': P('pimping'),
  '806': P('pandering'),
  '810': S('unlawful-sex'),
  '812': S('crime-against-child'),
  '813': S('child-annoying'),
  '814': S('child-pornography'),
  '815': S('sexual-penetration'),
  '820': S('oral-copulation'),
  '821': S('sodomy'),
  '822': S('human-trafficking-sex'),
  '830': S('incest'),
  '840': S('beastiality'),
  '845': S('offender-registration'),
  '850': S('indecent-exposure'),
  '860': S('battery-with-sexual-contact'),
  '865': m('drugs', 'drugs-to-minor'),
  '870': V('child-abandonment'),
  '880': P('disrupt-school'),
  '882': P('inciting-riot'),
  '884': P('failure-to-disperse'),
  '886': P('disturbing-the-peace'),
  '888': P('trespassing'),
  '890': VC('failure-to-yield'),
  '900': P('court-order-violation'),
  '901': V('restraining-order-violation'),
  '902': V('restraining-order-violation'),
  '903': P('contempt-of-court'),
  '904': m('weapons', 'firearms-temporary-restraining-order'),
  '906': m('weapons', 'firearms-restraining-order'),
  '910': V('kidnapping'),
  '920': V('kidnapping'),
  '921': V('human-trafficking'),
  '922': V('child-stealing'),
  '924': P('telephone-misuse'),
  '926': P('train-wrecking'),
  '928': V('threats'),
  '930': V('threats'),
  '931': T('replica-firearms'),
  '932': S('peeping-tom'),
  '933': P('prowler'),
  '940': F('extortion'),
  '942': F('bribery'),
  '943': m('other', 'cruelty-to-animals'), // not violence against a person
  '944': P('conspiracy'),
  '946': m('other', 'other-miscellaneous'),
  '948': P('bigamy'),
  '949': P('illegal-dumping'),
  '950': F('defrauding-innkeeper'),
  '951': F('defrauding-innkeeper'),
  '954': P('contributing-to-delinquency'),
  '956': S('lewd-letters-calls'),
};

const DESC_RULES: readonly [RegExp, TaxonomyMapping][] = [
  [/HOMICIDE|MANSLAUGHTER/, V('homicide')],
  [/RAPE|SEXUAL|LEWD|SODOMY|ORAL COPULATION|INDECENT|INCEST|PORNOGRAPHY/, S('sexual-offence')],
  [/ROBBERY/, m('robbery', 'robbery')],
  [
    /BURGLARY FROM VEHICLE|THEFT FROM MOTOR VEHICLE|VEHICLE - STOLEN|VEHICLE, STOLEN|VEHICLE - ATTEMPT/,
    VC('vehicle-crime'),
  ],
  [/BURGLARY/, m('burglary', 'burglary')],
  [/ASSAULT|BATTERY|KIDNAP|THREAT|STALKING|CHILD ABUSE/, V('violence')],
  [/IDENTITY|BUNCO|EMBEZZLE|FORGERY|COUNTERFEIT|CREDIT CARD|DOCUMENT|DEFRAUD|FRAUD/, F('fraud')],
  [/THEFT|SHOPLIFT|PICKPOCKET|PURSE|STOLEN/, T('theft')],
  [/ARSON/, m('arson', 'arson')],
  [/VANDALISM/, m('criminal-damage', 'vandalism')],
  [/WEAPON|FIREARM|SHOTS/, m('weapons', 'weapons')],
  [/DRUG|NARCOTIC/, m('drugs', 'drugs')],
  [/TRESPASS|PEACE|COURT ORDER|CONTEMPT|RIOT|PIMPING|PANDERING/, P('public-order')],
];

/** Maps one LA row by `crm_cd`, then by `crm_cd_desc`. Pure; the caller counts `unmapped` results. */
export function mapLaCrime(crmCd: string | undefined, crmCdDesc: string | undefined): TaxonomyMapping {
  const code = (crmCd ?? '').trim().replace(/^0+(?=\d{3})/, '');
  const byCode = CODES[code];
  if (byCode) return byCode;
  const desc = (crmCdDesc ?? '').trim().toUpperCase();
  if (desc) for (const [re, mapping] of DESC_RULES) if (re.test(desc)) return mapping;
  return UNMAPPED;
}
