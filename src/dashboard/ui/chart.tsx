import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** One line of a chart. */
export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
}

/** A uPlot time-series chart; `times` are epoch ms. */
export function Chart({ title, times, series }: { readonly title: string; readonly times: readonly number[]; readonly series: readonly ChartSeries[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (host.current === null) return;
    const data = [times.map((t) => t / 1000), ...series.map((line) => [...line.values])] as uPlot.AlignedData;
    const plot = new uPlot(
      {
        title,
        width: Math.max(320, host.current.clientWidth),
        height: 200,
        series: [{}, ...series.map((line) => ({ label: line.label, stroke: line.color, width: 2, spanGaps: true }))],
        axes: [{}, { size: 60 }],
      },
      data,
      host.current,
    );
    return () => plot.destroy();
  }, [title, times, series]);
  return <div class="chart" ref={host} />;
}
