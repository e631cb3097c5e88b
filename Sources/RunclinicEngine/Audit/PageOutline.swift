import Foundation

/// The outline of a sheet photographed on a table (see image_inspection.h): it leans as the sheet
/// does, which tells a leaning page whose print cannot (a diagram, a few lines of small type).
public struct PageOutline: Sendable, Equatable {
    /// Share of the keypoints' 320 px frame the sheet covers.
    public let area: Double
    /// Its sides' mean direction from level, degrees in [-45, 45), clockwise positive.
    public let angle: Double
    /// How well its sides agree on that direction (1 all parallel or square to it).
    public let agreement: Double
    /// Share of its perimeter its four longest sides make (1 for four sides).
    public let fourSided: Double

    /// The outline is a sheet's when it has four clear sides that agree, its region is paper
    /// (light and neutral), and print lies on it along its sides: the print's lines, however
    /// few, within 6 degrees of them (the four leaning pages below were 0.4-4.4 degrees off; a
    /// level page's print would be off by all its outline leans). On the photographed pages of
    /// the three tune halves, outlines that passed the other bars were within 2.3 degrees of the
    /// sheet's true lean for nine in ten. Of the 7,970 images of the tune halves and the issue-4
    /// set, these bars let through no outline leaning past 10 degrees but those of four leaning
    /// pages whose print had not told it; bars of 0.7 and 0.75 let through two clean pages too,
    /// and 0.6 of the outline's area in paper, or no print asked, photos of light walls, boards
    /// and cloth.
    /// The library traces no outline where these bars could not pass (under 7% of paper, under
    /// 50 characters): it repeats them.
    static let leastAgreement = 0.8
    static let leastFourSided = 0.8
    static let leastPaperOfArea = 0.7
    static let leastPrint = 50
    static let printAlongSides = 6.0

    /// The sheet's lean, when its outline is one to go by.
    static func lean(of measures: ImageMeasures) -> Double? {
        guard let outline = measures.pageOutline, outline.agreement >= leastAgreement,
            outline.fourSided >= leastFourSided, (measures.paperShare ?? 0) >= leastPaperOfArea * outline.area,
            let lines = measures.pageLines, lines.marks >= leastPrint
        else { return nil }
        // Both directions folded to within 45 degrees of level, compared a quarter turn round.
        let apart = (lines.angle - outline.angle + 45).truncatingRemainder(dividingBy: 90)
        guard abs((apart < 0 ? apart + 90 : apart) - 45) <= printAlongSides else { return nil }
        return outline.angle
    }
}
