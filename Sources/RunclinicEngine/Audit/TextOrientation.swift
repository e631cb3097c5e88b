import Foundation

/// How a page lies, read from its text lines: how far it was turned (0, 90, 180 or 270 degrees
/// clockwise) and how far its lines lean from the nearest axis. The line angle tells a quarter
/// turn from none; which way up the text stands comes from its ascenders and descenders (see
/// PageLines.upright), where they say too little from the shapes of its characters (see
/// PageLines.upsideDown), and where neither says, the turn is uncertain rather than guessed.
public struct TextOrientation: Sendable, Equatable {
    /// The lines run down the page: turned 90 or 270 degrees.
    public let sideways: Bool
    /// Degrees the lines lean from the nearest axis, clockwise positive, in [-45, 45).
    public let skew: Double
    /// Degrees the page was turned clockwise (0, 90, 180 or 270); nil when its text does not say
    /// which way up it stands.
    public let turn: Int?
    /// What told which way up the text stands; nil when `turn` is.
    public let toldBy: Evidence?

    public enum Evidence: Sendable, Equatable {
        /// The ascenders above the lines against the descenders below (PageLines.upright).
        case ascenders
        /// Weak ascenders and lines flush at the right (see flushRightAlignment).
        case alignment
        /// The shapes of its characters, read by the orientation network (see networkMargin).
        case characterShapes
    }

    /// A page needs enough characters agreeing on one line direction: pages of the audit bench
    /// agree at 0.5-1.0, photographs at 0.16-0.31. Where agreement is weak (0.5-0.6: a table's
    /// grain among the marks), the text must also say which way up it stands.
    static let minimumMarks = 80
    static let minimumAgreement = 0.5
    static let convincingAgreement = 0.6
    /// Under 200 marks (a short receipt, a title page), lines must agree at 0.7: the real ones of
    /// the benches agree at 0.9, while the grain of weathered wood lined up 150 marks at 0.5-0.66.
    static let fewMarks = 200
    static let fewMarksAgreement = 0.7
    /// How much more of the lines' ink must lie on one side of their bands to tell up from down:
    /// upright pages of the audit bench score 0.040 at the median, upside-down ones -0.046, and
    /// none of 1,161 pages past 0.015 either way was read the wrong way up; a receipt in capitals
    /// and digits scores 0.010-0.014 either way up. That is enough to say which way a quarter
    /// turn went (the page is turned either way). Calling an upright-looking page upside down takes
    /// twice that: the cue is a matter of language, and receipts of short words rich in g, j, p
    /// and y (the issue-4 bench's) score from -0.03 to 0.02 upright.
    static let minimumUprightEvidence = 0.015
    static let minimumUpsideDownEvidence = 0.03
    /// Or a third of that from the ascenders, with the lines flush at the right instead of the
    /// left (PageLines.alignment): manuals of code and formulas, whose ascenders say little,
    /// scored -0.01 to -0.03 upside down, and upright as low as -0.027; their alignment sits at
    /// +0.25 upright and -0.13 to -0.25 upside down. Together, none of 3,450 upright pages of the
    /// benches' tune halves and the issue-4 set read upside down.
    static let weakUpsideDownEvidence = 0.01
    static let flushRightAlignment = -0.1
    /// The margins speak for a full page of clear lines only: a table's columns or a figure's
    /// labels end flush at the right too. The upside-down pages it told in the tune halves held
    /// 600-1,230 marks at an agreement of 0.65-0.89; the two upright pages it misread (a table of
    /// 216 marks, a photographed page at 0.58) did not.
    static let alignmentMarks = 500
    /// A page photographed in perspective has lines that converge, so fewer of its marks agree on
    /// one direction (0.4-0.6 for leaning pages of the third tune half, their angle still within
    /// 3 degrees), and small print may not say which way up it stands. With many marks, such lines
    /// still tell how far the page leans, though not which way up it stands: no photograph of the
    /// benches lined up 300 marks at 0.4, and no upright page so judged leant past 10 degrees.
    static let leanOnlyMarks = 300
    static let leanOnlyAgreement = 0.4
    /// Lines that run down the page say it was turned a quarter even when they agree too weakly
    /// to say which way (pages photographed sideways in perspective: 236-611 marks at 0.44-0.56
    /// in the tune halves). No upright page or photograph of the benches read sideways with 200
    /// marks at more than 0.36.
    static let quarterOnlyMarks = 200
    static let quarterOnlyAgreement = 0.42
    /// Where the ascenders do not decide, the orientation network's mean logit over 16 patches
    /// of the page's characters (PageLines.upsideDown) does, this far from 0 either way. Past 1.0,
    /// pages of the tune halves whose lines agree at 0.6-0.7 were read the wrong way up (one in
    /// tune2, one in tune3), and so was a page photographed sideways in steep perspective (1.4);
    /// past 1.5 none was. The third tune half, never trained on: 134 of the 160 pages whose
    /// ascenders did not settle it told past 1.5, none wrongly (one read 1.19 the wrong way), by
    /// the weights trained on more pages too (bench/orientation/page_set.py). The image library
    /// reads the network only where the ascenders fall short of minimumUprightEvidence and
    /// minimumUpsideDownEvidence (measure_page_lines in text_lines.h): a change to those bars goes
    /// there too.
    static let networkMargin = 1.5

    public init?(_ lines: PageLines?) {
        guard let lines else { return nil }
        let across = lines.angle < 45 || lines.angle >= 135
        sideways = !across
        skew = across ? (lines.angle < 45 ? lines.angle : lines.angle - 180) : lines.angle - 90
        let judged =
            lines.marks >= Self.minimumMarks && lines.agreement >= Self.minimumAgreement
            && (lines.agreement >= Self.convincingAgreement
                || abs(lines.upright ?? 0) >= Self.minimumUprightEvidence
                || abs(lines.upsideDown ?? 0) >= Self.networkMargin)
            && (lines.marks >= Self.fewMarks || lines.agreement >= Self.fewMarksAgreement)
        if !judged {
            // The lean alone (see leanOnlyMarks), or a quarter turn of either way (quarterOnlyMarks).
            let leanOnly = across && lines.marks >= Self.leanOnlyMarks && lines.agreement >= Self.leanOnlyAgreement
            let quarterOnly =
                !across && lines.marks >= Self.quarterOnlyMarks && lines.agreement >= Self.quarterOnlyAgreement
            guard leanOnly || quarterOnly else { return nil }
            turn = nil
            toldBy = nil
            return
        }
        // Sideways lines are read after a quarter turn counter-clockwise: upright then means the
        // page had been turned a quarter clockwise.
        let network = lines.upsideDown ?? 0
        switch lines.upright {
        case let score? where score >= Self.minimumUprightEvidence: (turn, toldBy) = (sideways ? 90 : 0, .ascenders)
        case let score? where score <= -Self.minimumUprightEvidence && sideways: (turn, toldBy) = (270, .ascenders)
        case let score? where score <= -Self.minimumUpsideDownEvidence: (turn, toldBy) = (180, .ascenders)
        case let score?
        where !sideways && score <= -Self.weakUpsideDownEvidence
            && (lines.alignment ?? 0) <= Self.flushRightAlignment && lines.marks >= Self.alignmentMarks
            && lines.agreement >= Self.convincingAgreement:
            (turn, toldBy) = (180, .alignment)
        case _ where network >= Self.networkMargin: (turn, toldBy) = (sideways ? 270 : 180, .characterShapes)
        case _ where network <= -Self.networkMargin: (turn, toldBy) = (sideways ? 90 : 0, .characterShapes)
        default: (turn, toldBy) = (nil, nil)
        }
    }
}
