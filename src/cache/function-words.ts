/**
 * Words that carry no topic of their own in a prompt: English stop words plus the request frame
 * ("please", "tell me", "explain", "how do I"). They may differ between two prompts that ask the
 * same thing. Question words that change the answer (who, when, where, why) are not here.
 */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  `a about above after again all also am an and any are as at be because been being below between both but by
  can could did do does doing down during each few for from further had has have having he her here hers herself him
  himself his how i if in into is it its itself just let lets me might more most must my myself of off on once only or
  other our ours ourselves out over own same shall she should so some such than that the their theirs them themselves
  then there these they this those through to too under until up us very was we were what whats whatever which while whom
  will with would you your yours yourself yourselves
  please pls kindly tell explain explanation describe show give know want need help like wondering curious question
  ask asking rather hi hello hey thanks thank quick quickly way ways mean anyone somebody someone something really actually basically
  im ive id youre dont doesnt isnt arent cant wont s t d ll m re ve`
    .split(/\s+/)
    .filter((word) => word.length > 0),
);

/** Words (and the `n't` ending) that negate; a prompt's count of them must match the other's. */
export const NEGATION_WORDS: ReadonlySet<string> = new Set([
  'not', 'no', 'never', 'none', 'nobody', 'nothing', 'nowhere', 'neither', 'nor', 'without', 'cannot', 'except',
  'dont', 'doesnt', 'didnt', 'isnt', 'arent', 'wasnt', 'werent', 'cant', 'couldnt', 'wont', 'wouldnt', 'shouldnt',
  'hasnt', 'havent', 'hadnt', 'mustnt', 'neednt',
]);

/** Number words and ordinals, as the value they name. */
export const NUMBER_WORDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9', ten: '10',
    eleven: '11', twelve: '12', thirteen: '13', fourteen: '14', fifteen: '15', sixteen: '16', seventeen: '17', eighteen: '18',
    nineteen: '19', twenty: '20', thirty: '30', forty: '40', fifty: '50', sixty: '60', seventy: '70', eighty: '80', ninety: '90',
    hundred: '100', thousand: '1000', million: '1e6', billion: '1e9', trillion: '1e12', dozen: '12', half: '0.5', twice: '2x',
    double: '2x', triple: '3x', first: '1', second: '2', third: '3', fourth: '4', fifth: '5', sixth: '6', seventh: '7',
    eighth: '8', ninth: '9', tenth: '10', last: 'last',
  }),
);

/** Question words: a speech repair that starts with one replaces the question word before it. */
export const WH_WORDS: ReadonlySet<string> = new Set(['what', 'which', 'who', 'whom', 'whose', 'when', 'where', 'why', 'how']);

/** Hesitations dropped before a prompt is read ("what was the um triad"). */
export const FILLER_WORDS: ReadonlySet<string> = new Set(['um', 'umm', 'uh', 'uhh', 'uhm', 'ugh', 'er', 'erm', 'hmm', 'ah']);

/**
 * Phrases that mark a speech repair ("Poland no I mean Warsaw"), longest first. "or" and "well"
 * only count next to another of them; "no" and "rather" are checked in context (prompt-facts.ts).
 */
export const REPAIR_PHRASES: readonly (readonly string[])[] = [
  ['scratch', 'that'], ['make', 'that'], ['excuse', 'me'], ['i', 'mean'], ['or', 'rather'],
  ['no'], ['rather'], ['sorry'], ['wait'], ['oops'], ['or'], ['well'],
];

/**
 * Words whose opposite changes the answer while barely moving a sentence embedding ("above" /
 * "below freezing", "turn on" / "turn off", "he" / "she"). Each entry is a group of poles; two
 * prompts that use different poles of one group are different questions. Function words among
 * them are kept out of the topic words but still reach the guard through this table.
 */
const CONTRAST_POLES: readonly (readonly (readonly string[])[])[] = [
  [['above', 'over', 'higher', 'more', 'most', 'maximum', 'max'], ['below', 'under', 'less', 'fewer', 'least', 'minimum', 'min']],
  [['up', 'upward', 'upwards'], ['down', 'downward', 'downwards']],
  [['on'], ['off']],
  [['in', 'into', 'inside', 'within'], ['out', 'outside']],
  [['he', 'him', 'his', 'himself', 'man', 'men', 'male', 'boy', 'boys', 'father', 'husband'], ['she', 'her', 'hers', 'herself', 'woman', 'women', 'female', 'girl', 'girls', 'mother', 'wife']],
  [['before', 'earlier', 'prior'], ['after', 'later']],
  [['first', 'earliest', 'start', 'begin', 'beginning'], ['last', 'latest', 'end', 'final']],
  [['largest', 'biggest', 'highest', 'tallest', 'longest', 'heaviest', 'oldest', 'best'], ['smallest', 'lowest', 'shortest', 'lightest', 'youngest', 'newest', 'worst']],
  [['increase', 'increases', 'raise', 'grow'], ['decrease', 'decreases', 'reduce', 'lower', 'shrink']],
  [['left'], ['right']],
  [['north', 'northern'], ['south', 'southern'], ['east', 'eastern'], ['west', 'western']],
  [['buy', 'buying', 'import', 'imports'], ['sell', 'selling', 'export', 'exports']],
  [['win', 'won', 'winner'], ['lose', 'lost', 'loser']],
  [['hot', 'warm', 'heat'], ['cold', 'cool']],
  [['true'], ['false']],
  [['add', 'insert', 'append'], ['remove', 'delete']],
  [['encrypt', 'encode', 'compress'], ['decrypt', 'decode', 'decompress']],
  [['fast', 'faster', 'fastest', 'quick', 'quicker', 'quickest'], ['slow', 'slower', 'slowest']],
  // Units: "a kilogram of feathers" and "a pound of feathers" weigh differently.
  [['kilogram', 'kilograms', 'kg'], ['pound', 'pounds', 'lb', 'lbs'], ['gram', 'grams'], ['ounce', 'ounces', 'oz'], ['ton', 'tons', 'tonne', 'tonnes'],
    ['kilometer', 'kilometers', 'kilometre', 'kilometres', 'km'], ['mile', 'miles'], ['meter', 'meters', 'metre', 'metres'], ['foot', 'feet', 'ft'],
    ['inch', 'inches'], ['centimeter', 'centimeters', 'cm'], ['yard', 'yards'], ['liter', 'liters', 'litre', 'litres'], ['gallon', 'gallons'],
    ['celsius'], ['fahrenheit'], ['kelvin'], ['dollar', 'dollars', 'usd'], ['euro', 'euros', 'eur'], ['seconds'], ['minute', 'minutes'], ['hour', 'hours'],
    ['day', 'days'], ['week', 'weeks'], ['month', 'months'], ['year', 'years']],
];

/** Word → its contrast group and pole. */
export const CONTRAST_GROUPS: ReadonlyMap<string, { readonly group: number; readonly pole: number }> = new Map(
  CONTRAST_POLES.flatMap((poles, group) => poles.flatMap((words, pole) => words.map((word) => [word, { group, pole }] as const))),
);

/**
 * Words that announce a correction inside a question ("ceded to Spain ugh should say France", "the
 * Chinese actually the Samuron"): hesitations, apologies, "I mean", "make that". Not "or" nor
 * "not": "France or Spain" and "Jaws, not Jaws 2" ask something else than either part.
 */
export const CORRECTION_CUES: ReadonlySet<string> = new Set([
  ...FILLER_WORDS, 'uhm', 'err', 'umm', 'doh', 'shoot', 'darn', 'whoops', 'oops', 'oh', 'no', 'nope', 'nay', 'sorry', 'actually', 'mean', 'meant', 'rather',
  'wait', 'instead', 'say', 'guess', 'correction', 'wow', 'dang', 'eh', 'bah', 'ooh', 'oof', 'gosh', 'geez', 'maybe', 'nevermind', 'alternatively', 'rephrase',
]);

/** Cue words that need the next word to announce a correction ("make that", "scratch that"). */
export const CORRECTION_CUE_PAIRS: ReadonlyMap<string, string> = new Map([['make', 'that'], ['scratch', 'that'], ['forget', 'that'], ['change', 'that'], ['better', 'yet'], ['never', 'mind']]);
