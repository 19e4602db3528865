import { describe, expect, it } from 'vitest';
import { CATEGORIES } from '../../../src/core/categories.js';
import { mapChicagoType } from '../../../src/core/taxonomy/chicago.js';
import { mapLaCrime } from '../../../src/core/taxonomy/la.js';
import { UNMAPPED } from '../../../src/core/taxonomy/mapping.js';
import { mapNycOffence, mapNycShooting } from '../../../src/core/taxonomy/nyc.js';

describe('mapChicagoType', () => {
  it.each([
    [{ primaryType: 'BATTERY', iucr: '0486', fbiCode: '08B' }, 'violence', 'simple-battery'],
    [{ primaryType: 'ASSAULT', iucr: '051A', fbiCode: '04A' }, 'violence', 'aggravated-assault'],
    [{ primaryType: 'THEFT', description: 'POCKET-PICKING', fbiCode: '06' }, 'theft', 'theft-from-person'],
    [{ primaryType: 'MOTOR VEHICLE THEFT', fbiCode: '07' }, 'vehicle-crime', 'motor-vehicle-theft'],
    [{ primaryType: 'OTHER OFFENSE', description: 'TELEPHONE THREAT', fbiCode: '26' }, 'violence', 'threats'],
    [
      { primaryType: 'OTHER OFFENSE', description: 'HARASSMENT BY ELECTRONIC MEANS', fbiCode: '26' },
      'violence',
      'harassment',
    ],
    [
      { primaryType: 'OTHER OFFENSE', description: 'PAROLE VIOLATION', fbiCode: '26' },
      'public-order',
      'justice-violation',
    ],
    [
      { primaryType: 'OTHER OFFENSE', description: 'ANIMAL ABUSE/NEGLECT', fbiCode: '26' },
      'other',
      'animal-cruelty',
    ],
    [
      { primaryType: 'OFFENSE INVOLVING CHILDREN', description: 'CHILD PORNOGRAPHY' },
      'sexual-offences',
      'child-sexual-offence',
    ],
    [
      { primaryType: 'DECEPTIVE PRACTICE', description: 'FINANCIAL IDENTITY THEFT OVER $ 300' },
      'fraud',
      'identity-theft',
    ],
    [
      { primaryType: 'CRIMINAL SEXUAL ASSAULT', description: 'PREDATORY' },
      'sexual-offences',
      'sexual-assault',
    ],
    [{ primaryType: 'NEW TYPE', fbiCode: '03' }, 'robbery', 'robbery'],
  ] as const)('%o → %s/%s', (input, category, subcategory) => {
    expect(mapChicagoType(input)).toEqual({ category, subcategory });
  });

  it('leaves unknown types unmapped, and OTHER OFFENSE with an unknown description too', () => {
    expect(mapChicagoType({ primaryType: 'NEW TYPE', fbiCode: '26' })).toEqual(UNMAPPED);
    expect(
      mapChicagoType({ primaryType: 'OTHER OFFENSE', description: 'SOMETHING NEW', fbiCode: '26' }),
    ).toEqual(UNMAPPED);
    expect(mapChicagoType({})).toEqual(UNMAPPED);
  });
});

describe('mapNycOffence', () => {
  it.each([
    [{ kyCd: '344', ofnsDesc: 'ASSAULT 3 & RELATED OFFENSES' }, 'violence', 'assault-3'],
    [
      { kyCd: '361', ofnsDesc: 'OFF. AGNST PUB ORD SENSBLTY &', pdDesc: 'AGGRAVATED HARASSMENT 2' },
      'violence',
      'harassment',
    ],
    [
      { kyCd: '233', ofnsDesc: 'SEX CRIMES', pdDesc: 'CHILD, ENDANGERING WELFARE' },
      'violence',
      'child-endangerment',
    ],
    [{ kyCd: '233', ofnsDesc: 'SEX CRIMES', pdDesc: 'SEXUAL ABUSE 3,2' }, 'sexual-offences', 'sex-crime'],
    [
      { kyCd: '126', ofnsDesc: 'MISCELLANEOUS PENAL LAW', pdDesc: 'CRIMINAL CONTEMPT 1' },
      'public-order',
      'court-order-violation',
    ],
    [
      { kyCd: '678', ofnsDesc: 'MISCELLANEOUS PENAL LAW', pdDesc: 'MARIJUANA, POSSESSION' },
      'drugs',
      'dangerous-drugs',
    ],
    [{ kyCd: '360', pdDesc: 'SALE OF UNAUTHORIZED RECORDING' }, 'fraud', 'fraud'],
    [{ kyCd: '110', ofnsDesc: 'GRAND LARCENY OF MOTOR VEHICLE' }, 'vehicle-crime', 'motor-vehicle-theft'],
    [{ ofnsDesc: 'BURGLARY' }, 'burglary', 'burglary'],
  ] as const)('%o → %s/%s', (input, category, subcategory) => {
    expect(mapNycOffence(input)).toEqual({ category, subcategory });
  });

  it('leaves unknown codes without usable text unmapped', () => {
    expect(mapNycOffence({ kyCd: '999', ofnsDesc: 'SOMETHING NEW' })).toEqual(UNMAPPED);
    expect(mapNycOffence({})).toEqual(UNMAPPED);
  });

  it('maps every shooting row to violence', () => {
    expect(mapNycShooting(true)).toEqual({ category: 'violence', subcategory: 'shooting-murder' });
    expect(mapNycShooting(false)).toEqual({ category: 'violence', subcategory: 'shooting' });
  });
});

describe('mapLaCrime', () => {
  it.each([
    ['624', 'BATTERY - SIMPLE ASSAULT', 'violence', 'simple-assault'],
    ['330', 'BURGLARY FROM VEHICLE', 'vehicle-crime', 'burglary-from-vehicle'],
    ['354', 'THEFT OF IDENTITY', 'fraud', 'identity-theft'],
    ['740', 'VANDALISM - FELONY ($400 & OVER, ALL CHURCH VANDALISMS)', 'criminal-damage', 'vandalism-felony'],
    ['0510', 'VEHICLE - STOLEN', 'vehicle-crime', 'vehicle-theft'],
    ['946', 'OTHER MISCELLANEOUS CRIME', 'other', 'other-miscellaneous'],
    ['999', 'SHOPLIFTING - NEW CODE', 'theft', 'theft'],
  ] as const)('%s %s → %s/%s', (code, desc, category, subcategory) => {
    expect(mapLaCrime(code, desc)).toEqual({ category, subcategory });
  });

  it('leaves unknown codes without usable text unmapped', () => {
    expect(mapLaCrime('999', 'SOMETHING NEW')).toEqual(UNMAPPED);
    expect(mapLaCrime(undefined, undefined)).toEqual(UNMAPPED);
  });
});

it('every mapper only returns canonical categories', () => {
  const all = [
    mapChicagoType({ primaryType: 'THEFT' }),
    mapNycOffence({ kyCd: '101' }),
    mapLaCrime('110', undefined),
    UNMAPPED,
  ];
  for (const m of all) expect(CATEGORIES).toContain(m.category);
});
