import { accept, reject, type Normalized } from './result.js';
import { lowercaseLettersOnly } from './text.js';

/**
 * US states, DC and inhabited territories (FIPS 5-2 / USPS codes) and Canadian provinces and
 * territories (Canada Post codes). No maintained npm library carries subdivisions in a small,
 * pure form, and this list changes about once a generation, so it lives here. Keys are the
 * names after `lowercaseLettersOnly`.
 */
const US_AND_CANADA_CODES: ReadonlyMap<string, string> = new Map([
  ['alabama', 'al'], ['alaska', 'ak'], ['arizona', 'az'], ['arkansas', 'ar'], ['california', 'ca'],
  ['colorado', 'co'], ['connecticut', 'ct'], ['delaware', 'de'], ['districtofcolumbia', 'dc'],
  ['florida', 'fl'], ['georgia', 'ga'], ['hawaii', 'hi'], ['idaho', 'id'], ['illinois', 'il'],
  ['indiana', 'in'], ['iowa', 'ia'], ['kansas', 'ks'], ['kentucky', 'ky'], ['louisiana', 'la'],
  ['maine', 'me'], ['maryland', 'md'], ['massachusetts', 'ma'], ['michigan', 'mi'], ['minnesota', 'mn'],
  ['mississippi', 'ms'], ['missouri', 'mo'], ['montana', 'mt'], ['nebraska', 'ne'], ['nevada', 'nv'],
  ['newhampshire', 'nh'], ['newjersey', 'nj'], ['newmexico', 'nm'], ['newyork', 'ny'],
  ['northcarolina', 'nc'], ['northdakota', 'nd'], ['ohio', 'oh'], ['oklahoma', 'ok'], ['oregon', 'or'],
  ['pennsylvania', 'pa'], ['rhodeisland', 'ri'], ['southcarolina', 'sc'], ['southdakota', 'sd'],
  ['tennessee', 'tn'], ['texas', 'tx'], ['utah', 'ut'], ['vermont', 'vt'], ['virginia', 'va'],
  ['washington', 'wa'], ['westvirginia', 'wv'], ['wisconsin', 'wi'], ['wyoming', 'wy'],
  ['americansamoa', 'as'], ['guam', 'gu'], ['northernmarianaislands', 'mp'], ['puertorico', 'pr'],
  ['usvirginislands', 'vi'], ['virginislands', 'vi'],
  ['alberta', 'ab'], ['britishcolumbia', 'bc'], ['manitoba', 'mb'], ['newbrunswick', 'nb'],
  ['newfoundlandandlabrador', 'nl'], ['newfoundland', 'nl'], ['northwestterritories', 'nt'],
  ['novascotia', 'ns'], ['nunavut', 'nu'], ['ontario', 'on'], ['princeedwardisland', 'pe'],
  ['quebec', 'qc'], ['québec', 'qc'], ['saskatchewan', 'sk'], ['yukon', 'yt'],
]);

/**
 * Meta `st`: US and Canadian names become their 2-letter code, lowercase (`California` → `ca`,
 * `Ontario` → `on`); 2-letter codes are lowercased; anything else is lowercased without punctuation
 * or spaces (docs/platforms.md#meta-normalization-and-hashing). Names are mapped only when the customer's country is the
 * US, Canada or unknown (`country`: lowercase alpha-2), so `Georgia` in Georgia stays `georgia`.
 */
export function normalizeMetaState(value: string, country?: string): Normalized {
  const letters = lowercaseLettersOnly(value);
  if (letters.length === 0) {
    return reject('invalid_state');
  }
  const mapsNames = country === undefined || country === 'us' || country === 'ca';
  return accept((mapsNames ? US_AND_CANADA_CODES.get(letters) : undefined) ?? letters);
}
