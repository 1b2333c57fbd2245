#include "tools/edge_eval/loss_curve.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace edgert::eval {
namespace {

constexpr double kWidth = 720, kHeight = 300;
constexpr double kLeft = 60, kRight = 20, kTop = 20, kBottom = 45;

std::string Num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string Label(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", v);
  return b;
}

// About five round ticks (1, 2 or 5 times a power of ten) covering [low, high].
std::vector<double> Ticks(double low, double high) {
  const double span = high - low;
  const double raw = span / 5;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * power;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(low / step) * step; t <= high + step * 1e-9; t += step) ticks.push_back(t);
  return ticks;
}

}  // namespace

std::string LossCurveSvg(const std::vector<LossPoint>& points) {
  double x0 = points.front().step, x1 = x0, y0 = points.front().loss, y1 = y0;
  for (const LossPoint& p : points) {
    x0 = std::min(x0, p.step), x1 = std::max(x1, p.step);
    y0 = std::min(y0, p.loss), y1 = std::max(y1, p.loss);
    if (p.eval_loss) y0 = std::min(y0, *p.eval_loss), y1 = std::max(y1, *p.eval_loss);
  }
  if (x1 == x0) x0 -= 1, x1 += 1;  // one step: still a frame to draw in
  const double pad = y1 > y0 ? (y1 - y0) * 0.05 : std::max(1e-3, std::fabs(y0) * 0.1);
  y0 -= pad, y1 += pad;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const auto X = [&](double s) { return kLeft + (s - x0) / (x1 - x0) * plot_w; };
  const auto Y = [&](double l) { return kTop + (y1 - l) / (y1 - y0) * plot_h; };

  std::string svg = "<svg class=\"loss-curve\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + Num(kWidth) +
                    "\" height=\"" + Num(kHeight) + "\" viewBox=\"0 0 " + Num(kWidth) + " " + Num(kHeight) +
                    "\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"training loss by step\">\n";
  svg += "<rect x=\"" + Num(kLeft) + "\" y=\"" + Num(kTop) + "\" width=\"" + Num(plot_w) + "\" height=\"" + Num(plot_h) +
         "\" fill=\"none\" stroke=\"#999\"/>\n";
  for (double t : Ticks(y0, y1)) {
    svg += "<line x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kLeft + plot_w) + "\" y1=\"" + Num(Y(t)) + "\" y2=\"" + Num(Y(t)) +
           "\" stroke=\"#eee\"/><text x=\"" + Num(kLeft - 6) + "\" y=\"" + Num(Y(t) + 4) + "\" text-anchor=\"end\">" +
           Label(t) + "</text>\n";
  }
  for (double t : Ticks(x0, x1)) {
    svg += "<line y1=\"" + Num(kTop + plot_h) + "\" y2=\"" + Num(kTop + plot_h + 4) + "\" x1=\"" + Num(X(t)) + "\" x2=\"" +
           Num(X(t)) + "\" stroke=\"#999\"/><text x=\"" + Num(X(t)) + "\" y=\"" + Num(kTop + plot_h + 16) +
           "\" text-anchor=\"middle\">" + Label(t) + "</text>\n";
  }
  svg += "<text x=\"" + Num(kLeft + plot_w / 2) + "\" y=\"" + Num(kHeight - 6) + "\" text-anchor=\"middle\">step</text>\n";
  std::string train, eval;
  for (const LossPoint& p : points) {
    train += Num(X(p.step)) + "," + Num(Y(p.loss)) + " ";
    if (p.eval_loss) eval += Num(X(p.step)) + "," + Num(Y(*p.eval_loss)) + " ";
  }
  svg += "<polyline class=\"train\" fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"1.5\" points=\"" + train + "\"/>\n";
  if (!eval.empty()) {
    svg += "<polyline class=\"eval\" fill=\"none\" stroke=\"#d1242f\" stroke-dasharray=\"4 3\" points=\"" + eval + "\"/>\n";
    for (const LossPoint& p : points) {
      if (p.eval_loss) {
        svg += "<circle cx=\"" + Num(X(p.step)) + "\" cy=\"" + Num(Y(*p.eval_loss)) + "\" r=\"3\" fill=\"#d1242f\"/>\n";
      }
    }
  }
  const double lx = kLeft + plot_w - 150;
  svg += "<line x1=\"" + Num(lx) + "\" x2=\"" + Num(lx + 20) + "\" y1=\"" + Num(kTop + 14) + "\" y2=\"" + Num(kTop + 14) +
         "\" stroke=\"#1f6feb\" stroke-width=\"1.5\"/><text x=\"" + Num(lx + 26) + "\" y=\"" + Num(kTop + 18) +
         "\">training loss</text>\n";
  if (!eval.empty()) {
    svg += "<line x1=\"" + Num(lx) + "\" x2=\"" + Num(lx + 20) + "\" y1=\"" + Num(kTop + 30) + "\" y2=\"" +
           Num(kTop + 30) + "\" stroke=\"#d1242f\" stroke-dasharray=\"4 3\"/><text x=\"" + Num(lx + 26) + "\" y=\"" +
           Num(kTop + 34) + "\">evaluation loss</text>\n";
  }
  return svg + "</svg>\n";
}

}  // namespace edgert::eval
