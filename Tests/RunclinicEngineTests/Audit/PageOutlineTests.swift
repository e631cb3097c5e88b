import Foundation
import Testing

@testable import RunclinicEngine

/// A sheet photographed on a table leans as its outline does, where its print is too little to say.
@Suite struct PageOutlineTests {
    static func measures(_ name: String) throws -> ImageMeasures {
        try ImageMeasurer.shared().measure(path: ImageHeaderTests.images.appendingPathComponent(name).path)
    }

    @Test func aTurnedSheetsOutlineLeansAsTheSheetDoes() throws {
        let turned = try Self.measures("page_photographed_diagram_turned.jpg")
        let lean = try #require(PageOutline.lean(of: turned))
        #expect(abs(lean - 22) < 2)
        // Its text lines alone do not say so: too few characters.
        #expect((turned.pageLines?.marks ?? 0) < TextOrientation.minimumMarks)
        let level = try #require(PageOutline.lean(of: try Self.measures("page_photographed_diagram.jpg")))
        #expect(abs(level) < 2)
    }

    @Test func anOutlineIsASheetsOnlyOnPaperWithPrint() throws {
        var outline = PageOutline(area: 0.3, angle: 20, agreement: 0.99, fourSided: 1)
        let sheet = try Self.measures("page_photographed_diagram_turned.jpg")
        #expect(PageOutline.lean(of: sheet) != nil)
        // A scanned page fills its frame: no outline. A photo of no page has no paper on its outline.
        #expect(PageOutline.lean(of: try Self.measures("page.jpg")) == nil)
        #expect(PageOutline.lean(of: try Self.measures("photo.jpg")) == nil)
        // Sides that disagree are no sheet's.
        outline = PageOutline(area: 0.3, angle: 20, agreement: 0.5, fourSided: 1)
        var measures = sheet
        measures.pageOutline = outline
        #expect(PageOutline.lean(of: measures) == nil)
    }
}
