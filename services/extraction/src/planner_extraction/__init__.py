"""planner_extraction: a planner's season brief to validated SeasonParameters.

Entry points: `extractor.build_extractor(OpenAISettings)` returns the extractor for the
configuration (`await extractor.extract(brief, reference_date=...)`, `await
extractor.aclose()`); `offline_parser.parse_brief` is the deterministic parser on its own.
The rules both follow and the offline parser's reading decisions: docs/extraction.md.
"""
