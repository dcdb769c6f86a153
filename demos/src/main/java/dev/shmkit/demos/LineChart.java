package dev.shmkit.demos;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** A small line chart drawn with Java 2D into a PNG, headless (no display needed). */
final class LineChart {
    record Series(String name, Color color, double[] x, double[] y, boolean dashed) {}

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private double verticalMarker = Double.NaN;
    private String markerLabel;

    LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    LineChart add(String name, Color color, double[] x, double[] y, boolean dashed) {
        series.add(new Series(name, color, x, y, dashed));
        return this;
    }

    LineChart marker(double x, String label) {
        this.verticalMarker = x;
        this.markerLabel = label;
        return this;
    }

    void write(Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        int w = 800;
        int h = 520;
        int left = 70;
        int right = 30;
        int top = 50;
        int bottom = 60;
        double maxX = 1;
        double maxY = 1;
        for (Series s : series) {
            for (double v : s.x()) maxX = Math.max(maxX, v);
            for (double v : s.y()) maxY = Math.max(maxY, v);
        }
        maxY = Math.ceil(maxY * 1.1 * 2) / 2;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        int pw = w - left - right;
        int ph = h - top - bottom;
        double fx = pw / maxX;
        double fy = ph / maxY;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        // grid and axes
        for (int i = 0; i <= (int) maxX; i++) {
            int x = left + (int) (i * fx);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(x, top, x, top + ph);
            g.setColor(Color.DARK_GRAY);
            g.drawString(Integer.toString(i), x - 4, top + ph + 16);
        }
        for (double v = 0; v <= maxY + 1e-9; v += maxY > 4 ? 1 : 0.5) {
            int y = top + ph - (int) (v * fy);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.1f", v), left - 34, y + 4);
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, top, left, top + ph);
        g.drawLine(left, top + ph, left + pw, top + ph);
        if (!Double.isNaN(verticalMarker)) {
            int x = left + (int) (verticalMarker * fx);
            g.setColor(new Color(150, 150, 150));
            g.setStroke(new BasicStroke(1, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {3, 3}, 0));
            g.drawLine(x, top, x, top + ph);
            g.drawString(markerLabel, x + 4, top + 14);
        }
        int legendY = top + 18;
        for (Series s : series) {
            g.setColor(s.color());
            g.setStroke(s.dashed() ? new BasicStroke(2, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {8, 5}, 0)
                    : new BasicStroke(2.5f));
            for (int i = 1; i < s.x().length; i++) {
                g.drawLine(left + (int) (s.x()[i - 1] * fx), top + ph - (int) (s.y()[i - 1] * fy),
                        left + (int) (s.x()[i] * fx), top + ph - (int) (s.y()[i] * fy));
            }
            if (!s.dashed()) {
                for (int i = 0; i < s.x().length; i++) {
                    g.fillOval(left + (int) (s.x()[i] * fx) - 4, top + ph - (int) (s.y()[i] * fy) - 4, 8, 8);
                }
            }
            g.drawLine(left + 20, legendY - 4, left + 50, legendY - 4);
            g.setColor(Color.BLACK);
            g.drawString(s.name(), left + 58, legendY);
            legendY += 18;
        }
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 28);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawString(xLabel, left + pw / 2 - 40, h - 18);
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -(top + ph / 2 + 30), 20);
        g.dispose();
        if (file.getParent() != null) Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }
}
