/**
 * Names shared by the page scripts, the islands and the tests. Event names and properties are a contract with
 * the reports (see README, "Developer portal: docs and tracking"), so they live in one place.
 */

/** `<meta>` the docs Head override writes on quickstart pages; its content is the quickstart language. */
export const QUICKSTART_META = 'onramp:quickstart-language';

/** Reasons offered after a "No" vote; the value is what `doc_feedback.reason` carries. */
export const FEEDBACK_REASONS = [
  { value: 'code_didnt_work', label: "The code didn't work" },
  { value: 'missing_information', label: 'Information is missing' },
  { value: 'hard_to_follow', label: 'Hard to follow' },
  { value: 'outdated', label: 'Out of date or wrong' },
  { value: 'other', label: 'Something else' },
] as const;

/** Longest comment a `doc_feedback` event may carry. */
export const FEEDBACK_COMMENT_MAX = 1000;
