import { nextSampleWeek } from "../../stock";
import type { SeasonContext } from "../SeasonPage";

/** The sample's next week as this season's stores could sell it: a file to upload. */
export function SampleWeekLink({ season }: { season: SeasonContext }) {
  const week = nextSampleWeek(season.overview?.weeks_in ?? 0, season.overview?.horizon_weeks);
  if (week === null) return null;
  return (
    <p className="small">
      Playing the sample?{" "}
      <a href={`/api/workflows/${season.id}/sample-actuals.csv?week=${week}`} download data-testid="sample-week">
        Download week {week} of the sample
      </a>{" "}
      (the sample's demand, capped by what this season put in each store), then upload it here.
    </p>
  );
}
