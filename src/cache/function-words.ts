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
  hi hello hey thanks thank quick quickly way ways mean anyone somebody someone something really actually basically
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
