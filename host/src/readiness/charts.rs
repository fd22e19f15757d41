//! The report's charts as inline SVG (plotters' SVG backend). Text stays `<text>` in a
//! generic font family, so the browser picks the font and nothing is read from the system;
//! black strokes and fills are recoloured by the page's CSS in dark mode.

use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;

use super::{DayCount, ItemPopularity, UserBucket};

/// Colours that read on light and dark backgrounds (Tableau 10).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];
const WARNING: RGBColor = RGBColor(0xE1, 0x57, 0x59);
const WIDTH: u32 = 900;
const FONT: (&str, u32) = ("sans-serif", 17);

#[derive(Debug, thiserror::Error)]
#[error("cannot draw the {chart} chart: {message}")]
pub struct ChartError {
    chart: &'static str,
    message: String,
}

/// Draws on a fresh SVG of `height` pixels and returns its text.
fn svg(
    chart: &'static str,
    height: u32,
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<String, ChartError> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, height)).into_drawing_area();
        let error = |e: &dyn std::fmt::Display| ChartError {
            chart,
            message: e.to_string(),
        };
        draw(&root).map_err(|e| error(&e))?;
        root.present().map_err(|e| error(&e))?;
    }
    Ok(text)
}

/// A colour per event type, stable across charts of one report.
pub fn type_colours(types: &[&String]) -> BTreeMap<String, RGBColor> {
    (types.iter().enumerate())
        .map(|(i, t)| ((*t).clone(), PALETTE[i % PALETTE.len()]))
        .collect()
}

pub fn hex(colour: &RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", colour.0, colour.1, colour.2)
}

/// Interactions per day, stacked by event type.
pub fn days(days: &[DayCount], colours: &BTreeMap<String, RGBColor>) -> Result<String, ChartError> {
    svg("interactions per day", 280, |root| {
        let max = (days.iter())
            .map(|d| d.per_event_type.values().sum::<u64>())
            .max()
            .unwrap_or(0)
            .max(1);
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (0..days.len().max(1) as u32).into_segmented(),
                0u64..max + max / 10 + 1,
            )?;
        let label = |x: &SegmentValue<u32>| match x {
            SegmentValue::CenterOf(i) => (days.get(*i as usize))
                .map(|d| d.date.format("%b %d").to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(days.len().clamp(1, 10))
            .x_label_formatter(&label)
            .y_desc("interactions")
            .label_style(FONT)
            .draw()?;
        let mut bars = Vec::new();
        for (i, day) in (0u32..).zip(days) {
            let mut base = 0;
            for (event_type, &n) in &day.per_event_type {
                let colour = colours.get(event_type).copied().unwrap_or(PALETTE[9]);
                bars.push(bar(i, base, base + n, colour));
                base += n;
            }
        }
        chart.draw_series(bars)?;
        Ok(())
    })
}

/// A bar over segment `i` from `low` to `high`, with a gap on either side.
fn bar(i: u32, low: u64, high: u64, colour: RGBColor) -> Rectangle<(SegmentValue<u32>, u64)> {
    let mut bar = Rectangle::new(
        [
            (SegmentValue::Exact(i), low),
            (SegmentValue::Exact(i + 1), high),
        ],
        colour.filled(),
    );
    bar.set_margin(0, 0, 2, 2);
    bar
}

/// Users by number of interactions; the users under 2 stand out.
pub fn users(buckets: &[UserBucket]) -> Result<String, ChartError> {
    svg("interactions per user", 260, |root| {
        let max = buckets.iter().map(|b| b.users).max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(
                (0..buckets.len().max(1) as u32).into_segmented(),
                0u64..max + max / 10 + 1,
            )?;
        let label = |x: &SegmentValue<u32>| match x {
            SegmentValue::CenterOf(i) => buckets
                .get(*i as usize)
                .map(|b| b.label.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(buckets.len() + 1)
            .x_label_formatter(&label)
            .x_desc("interactions per user")
            .y_desc("users")
            .label_style(FONT)
            .draw()?;
        chart.draw_series(
            (0u32..)
                .zip(buckets)
                .map(|(i, b)| bar(i, 0, b.users, if b.min < 2 { WARNING } else { PALETTE[0] })),
        )?;
        Ok(())
    })
}

/// The cumulative popularity curve: share of interactions held by the most popular items.
pub fn popularity(popularity: &ItemPopularity) -> Result<String, ChartError> {
    svg("item popularity", 300, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(36)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..100f64, 0f64..100f64)?;
        chart
            .configure_mesh()
            .x_desc("most popular items (% of items)")
            .y_desc("% of interactions")
            .label_style(FONT)
            .draw()?;
        let diagonal = BLACK.mix(0.4).stroke_width(1);
        chart.draw_series(LineSeries::new([(0.0, 0.0), (100.0, 100.0)], diagonal))?;
        let points = popularity.curve.iter().map(|[x, y]| (x * 100.0, y * 100.0));
        chart.draw_series(LineSeries::new(points, PALETTE[0].stroke_width(3)))?;
        // Markers where the top 1% and 10% of items (at least one item) end; one label when
        // both are the same items.
        let items = popularity.items.max(1) as f64;
        let mut marks = vec![(
            "1%",
            popularity.top_1_percent_items,
            popularity.top_1_percent_share,
        )];
        if popularity.top_10_percent_items != popularity.top_1_percent_items {
            marks.push((
                "10%",
                popularity.top_10_percent_items,
                popularity.top_10_percent_share,
            ));
        } else {
            marks[0].0 = "1% and 10%";
        }
        for (what, top, share) in marks {
            let (x, y) = (top as f64 / items * 100.0, share * 100.0);
            chart.draw_series([Circle::new((x, y), 5, PALETTE[1].filled())])?;
            let text = format!("top {what} ({top} items): {y:.0}% of interactions");
            chart.draw_series([Text::new(text, (x + 2.0, (y - 4.0).max(8.0)), FONT)])?;
        }
        Ok(())
    })
}

/// Horizontal bars with a label above each: event-type mix, rows dropped by reason.
pub fn labelled_bars(
    chart_name: &'static str,
    rows: &[(String, u64, RGBColor)],
) -> Result<String, ChartError> {
    let height = 30 + 44 * rows.len().max(1) as u32;
    svg(chart_name, height, |root| {
        let total: u64 = rows.iter().map(|r| r.1).sum::<u64>().max(1);
        let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .build_cartesian_2d(0f64..max as f64 * 1.05, 0f64..rows.len().max(1) as f64)?;
        for (i, (name, n, colour)) in rows.iter().enumerate() {
            let top = (rows.len() - i) as f64;
            let share = *n as f64 / total as f64 * 100.0;
            chart.draw_series([Rectangle::new(
                [(0.0, top - 0.85), (*n as f64, top - 0.45)],
                colour.filled(),
            )])?;
            let label = format!("{name}: {n} ({share:.1}%)");
            chart.draw_series([Text::new(label, (0.0, top - 0.05), FONT)])?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_svg_with_shapes_and_no_external_references() {
        let buckets = vec![
            UserBucket {
                label: "1".into(),
                min: 1,
                max: Some(1),
                users: 3,
            },
            UserBucket {
                label: "2".into(),
                min: 2,
                max: Some(2),
                users: 5,
            },
        ];
        let svg = users(&buckets).unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.matches("<rect").count() >= 2, "{svg}");
        assert!(!svg.contains("href"), "no external reference");
        let bars = labelled_bars("mix", &[("View".into(), 9, PALETTE[0])]).unwrap();
        assert!(bars.contains("View: 9 (100.0%)"), "{bars}");
    }
}
