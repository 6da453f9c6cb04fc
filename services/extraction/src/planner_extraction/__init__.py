"""planner_extraction: a planner's season brief to validated SeasonParameters.

Entry points: `extractor.build_extractor(OpenAISettings)` returns the extractor for the
configuration (`await extractor.extract(brief, reference_date=...)`, `await
extractor.aclose()`); `offline_parser.parse_brief` is the deterministic parser on its own.

The rules both extractors follow (`assembly`):
- Every parameter comes back with a value, a confidence 0-1, a source (`stated`, `inferred`,
  `default`) and the brief's words it came from.
- Missing: the documented default (planner_shared.parameters), confidence 0.2, and a
  `missing` issue. Contradictory (two different values): the default, confidence 0, and a
  `contradictory` issue naming both; never a pick. Out of range or not a valid value: the
  default, confidence 0, and an `out_of_range` or `invalid` issue saying why.
- Nothing usable (every value a default): `usable=False` and a first issue, with no field,
  listing what the brief must say, with an example.

Choice of extractor (`extractor`): the LLM when OPENAI_API_KEY is set, the offline parser
otherwise. When the LLM fails after the client's retries (timeout, refusal, malformed
answer, API error), the offline parser reads the brief and the result carries an
`unparsed` issue (no field) saying the language model could not read it; pass
`fall_back_to_offline=False` to get the typed `errors.ExtractionError` instead.

Reading decisions of the offline parser (details in `dates`, `offline_parser`, `mentions`):
- Dates: ISO and dotted (day first) as written; month names either order; a year-less date
  is its next occurrence on or after the reference date; a numeric `03/02/2027` with both
  parts <= 12 takes the only reading on or after the reference date, else the only Monday,
  else month first (US; `day_first=True` for day first) with a `contradictory` issue
  ("Ambiguous date: ...") while keeping the value, inferred.
- A month alone is its first Monday (inferred). A season word alone ("spring season")
  infers the first Monday of March/June/September/December at confidence 0.3 and raises a
  `missing` issue asking the planner to confirm the date.
- "a quarter" is never a season length; it is 25% only where a share is meant ("a quarter
  of the buy at the DC"). "bi-weekly" means every two weeks.
- A share nobody can attribute ("45%" alone) raises an `unparsed` issue rather than a guess.
- The parser never reads the clock: the caller passes `reference_date`.
"""
