/**
 * Chicago (`ijzp-q8t2`) codes → canonical categories. Order of evidence: the IUCR code for the few
 * codes whose primary type is a catch-all, then the description text inside catch-all primary types
 * (`OTHER OFFENSE`, `OFFENSE INVOLVING CHILDREN`, ...), then the primary type, then the FBI (NIBRS
 * summary) code. Anything still unknown is `other`/`unmapped` and counted.
 *
 * Choices (why): harassment, threats, stalking and intimidation go to `violence` as the ONS counts
 * them ("stalking and harassment" is violence against the person); trespass, prostitution, gambling,
 * liquor, obstructing officers, breaches of protection orders, bail, parole and probation go to
 * `public-order` (offences against society and the administration of justice); offender-registration
 * failures go with their offence family (sex offender → `sexual-offences`, gun offender → `weapons`);
 * non-criminal notices, animal cruelty, bigamy and "other crime involving property" are deliberately
 * `other` (no canonical category fits).
 */
import type { Category } from '../categories.js';
import { type TaxonomyMapping, UNMAPPED } from './mapping.js';

export interface ChicagoTypeInput {
  iucr?: string | undefined;
  primaryType?: string | undefined;
  description?: string | undefined;
  fbiCode?: string | undefined;
}

const m = (category: Category, subcategory: string): TaxonomyMapping => ({ category, subcategory });

/** Primary types whose category does not depend on the description. */
const PRIMARY: Record<string, TaxonomyMapping> = {
  ARSON: m('arson', 'arson'),
  BURGLARY: m('burglary', 'burglary'),
  'CONCEALED CARRY LICENSE VIOLATION': m('weapons', 'concealed-carry-violation'),
  'CRIM SEXUAL ASSAULT': m('sexual-offences', 'sexual-assault'),
  'CRIMINAL SEXUAL ASSAULT': m('sexual-offences', 'sexual-assault'),
  'CRIMINAL DAMAGE': m('criminal-damage', 'criminal-damage'),
  'CRIMINAL TRESPASS': m('public-order', 'trespass'),
  'DECEPTIVE PRACTICE': m('fraud', 'deceptive-practice'),
  GAMBLING: m('public-order', 'gambling'),
  HOMICIDE: m('violence', 'homicide'),
  'HUMAN TRAFFICKING': m('violence', 'human-trafficking'),
  'INTERFERENCE WITH PUBLIC OFFICER': m('public-order', 'obstructing-officer'),
  INTIMIDATION: m('violence', 'intimidation'),
  KIDNAPPING: m('violence', 'kidnapping'),
  'LIQUOR LAW VIOLATION': m('public-order', 'liquor-law'),
  'MOTOR VEHICLE THEFT': m('vehicle-crime', 'motor-vehicle-theft'),
  NARCOTICS: m('drugs', 'narcotics'),
  'OTHER NARCOTIC VIOLATION': m('drugs', 'narcotics'),
  OBSCENITY: m('sexual-offences', 'obscenity'),
  'OFFENSE INVOLVING CHILDREN': m('violence', 'offence-involving-children'),
  PROSTITUTION: m('public-order', 'prostitution'),
  'PUBLIC INDECENCY': m('sexual-offences', 'public-indecency'),
  'PUBLIC PEACE VIOLATION': m('public-order', 'public-peace-violation'),
  ROBBERY: m('robbery', 'robbery'),
  'SEX OFFENSE': m('sexual-offences', 'sex-offence'),
  STALKING: m('violence', 'stalking'),
  THEFT: m('theft', 'theft'),
  'WEAPONS VIOLATION': m('weapons', 'weapons-violation'),
  'NON-CRIMINAL': m('other', 'non-criminal'),
  'NON - CRIMINAL': m('other', 'non-criminal'),
  'NON-CRIMINAL (SUBJECT SPECIFIED)': m('other', 'non-criminal'),
  RITUALISM: m('other', 'ritualism'),
};

/** Description rules inside catch-all or mixed primary types; first match wins. */
const DESCRIPTION_RULES: Record<string, readonly [RegExp, TaxonomyMapping][]> = {
  'OTHER OFFENSE': [
    [/HARASSMENT|OBSCENE TELEPHONE/, m('violence', 'harassment')],
    [/THREAT/, m('violence', 'threats')],
    [/ORDER OF PROTECTION|BAIL BOND|PROTECTIVE ORDER/, m('public-order', 'court-order-violation')],
    [/PAROLE|PROBATION/, m('public-order', 'justice-violation')],
    [/SEX OFFENDER/, m('sexual-offences', 'offender-registration')],
    [/GUN OFFENDER/, m('weapons', 'offender-registration')],
    [/OFFENDER/, m('public-order', 'offender-registration')],
    [/BURGLARY TOOLS/, m('burglary', 'burglary-tools')],
    [/WEAPON|FIREARM|GUN/, m('weapons', 'weapons-violation')],
    [/VEHICLE|TRP|TITLE|MOTOR/, m('vehicle-crime', 'vehicle-offence')],
    [/LICENSE|LICENCE/, m('public-order', 'licence-violation')],
    [/AGAINST PERSON/, m('violence', 'other-against-person')],
    [/ANIMAL/, m('other', 'animal-cruelty')],
    [/PROPERTY/, m('other', 'other-property-offence')],
    [/ARSON/, m('arson', 'arson')],
  ],
  'OFFENSE INVOLVING CHILDREN': [
    [/PORNOGRAPHY|SEX|INDECENT/, m('sexual-offences', 'child-sexual-offence')],
    [/ABDUCTION/, m('violence', 'child-abduction')],
    [/DELINQUENCY/, m('public-order', 'contributing-to-delinquency')],
    [/ABUSE|ENDANGER|ABANDON|NEGLECT/, m('violence', 'child-abuse')],
  ],
  'PUBLIC PEACE VIOLATION': [[/PEEPING/, m('sexual-offences', 'voyeurism')]],
  THEFT: [
    [/POCKET|PURSE/, m('theft', 'theft-from-person')],
    [/RETAIL/, m('theft', 'shoplifting')],
    [/FROM BUILDING/, m('theft', 'theft-from-building')],
  ],
  'DECEPTIVE PRACTICE': [
    [/STOLEN PROP/, m('theft', 'handling-stolen-property')],
    [/LOST\/MISLAID/, m('theft', 'theft-by-finding')],
    [/IDENTITY/, m('fraud', 'identity-theft')],
    [/CARD/, m('fraud', 'card-fraud')],
    [/FORGE|COUNTERFEIT/, m('fraud', 'forgery')],
  ],
  ROBBERY: [[/HIJACK/, m('robbery', 'vehicular-hijacking')]],
  BURGLARY: [[/HOME INVASION/, m('burglary', 'home-invasion')]],
  'CRIMINAL DAMAGE': [[/TO VEHICLE/, m('criminal-damage', 'damage-to-vehicle')]],
  'HUMAN TRAFFICKING': [[/SEX/, m('sexual-offences', 'sex-trafficking')]],
  'SEX OFFENSE': [[/BIGAMY/, m('other', 'bigamy')]],
};

/** FBI (UCR/NIBRS summary) codes, used for assault/battery seriousness and as the last resort. */
const FBI: Record<string, TaxonomyMapping> = {
  '01A': m('violence', 'homicide'),
  '01B': m('violence', 'homicide'),
  '02': m('sexual-offences', 'sexual-assault'),
  '03': m('robbery', 'robbery'),
  '04A': m('violence', 'aggravated-assault'),
  '04B': m('violence', 'aggravated-battery'),
  '05': m('burglary', 'burglary'),
  '06': m('theft', 'theft'),
  '07': m('vehicle-crime', 'motor-vehicle-theft'),
  '08A': m('violence', 'simple-assault'),
  '08B': m('violence', 'simple-battery'),
  '09': m('arson', 'arson'),
  '10': m('fraud', 'forgery'),
  '11': m('fraud', 'fraud'),
  '12': m('fraud', 'embezzlement'),
  '13': m('theft', 'handling-stolen-property'),
  '14': m('criminal-damage', 'criminal-damage'),
  '15': m('weapons', 'weapons-violation'),
  '16': m('public-order', 'prostitution'),
  '17': m('sexual-offences', 'sex-offence'),
  '18': m('drugs', 'narcotics'),
  '19': m('public-order', 'gambling'),
  '20': m('violence', 'offence-against-family'),
  '22': m('public-order', 'liquor-law'),
  '24': m('public-order', 'disorderly-conduct'),
};

const norm = (s: string | undefined): string => (s ?? '').trim().toUpperCase().replace(/\s+/g, ' ');

/** Maps one Chicago row's codes. Pure; the caller counts `unmapped` results. */
export function mapChicagoType(input: ChicagoTypeInput): TaxonomyMapping {
  const primary = norm(input.primaryType);
  const description = norm(input.description);
  const fbi = norm(input.fbiCode);
  // Assault, battery and domestic violence: the FBI code says aggravated (04A/04B) or simple (08A/08B).
  if (primary === 'ASSAULT' || primary === 'BATTERY' || primary === 'DOMESTIC VIOLENCE') {
    if (/^0[48][AB]$/.test(fbi)) return FBI[fbi]!;
    return m('violence', primary === 'ASSAULT' ? 'assault' : 'battery');
  }
  const rules = DESCRIPTION_RULES[primary];
  if (rules && description) {
    for (const [re, mapping] of rules) if (re.test(description)) return mapping;
  }
  const byPrimary = PRIMARY[primary];
  if (byPrimary) return byPrimary;
  const byFbi = FBI[fbi];
  if (byFbi) return byFbi;
  return UNMAPPED;
}
