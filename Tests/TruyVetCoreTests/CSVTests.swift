import Testing
import TruyVetCore

@Suite struct CSVTests {
    @Test func parsesQuotesCommasNewlinesAndCRLF() throws {
        let rows = try CSV.parse("\u{FEFF}a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n\r\nlast,,\n")
        #expect(rows.map(\.fields) == [["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["last", "", ""]])
        #expect(rows.map(\.line) == [1, 2, 5])
    }

    @Test func reportsMalformedQuotingWithTheLine() throws {
        #expect(throws: CSV.ParseError(line: 2, message: "a quoted field is not closed")) { try CSV.parse("a\n\"open") }
        #expect(throws: CSV.ParseError.self) { try CSV.parse("a\"b") }
    }

    @Test func cellsThatCouldRunAsFormulasAreNeutralised() throws {
        #expect(CSV.cell("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        #expect(CSV.cell("+84912345678") == "'+84912345678")
        #expect(CSV.cell("-1") == "'-1")
        #expect(CSV.cell("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSV.cell("\tx") == "\"'\tx\"")
        // A spreadsheet whose list separator is `;` splits unquoted cells there: `=1+1` would run.
        #expect(CSV.cell("Quán A;=1+1;") == "\"Quán A;=1+1;\"")
        #expect(try CSV.parse(CSV.render(header: ["name"], rows: [["Quán A;=1+1;"]]))[1].fields == ["Quán A;=1+1;"])
        #expect(CSV.cell("\rx") == "\"'\rx\"")
        #expect(CSV.cell("Nguyễn Văn A") == "Nguyễn Văn A")
    }

    @Test func renderRoundTripsThroughParse() throws {
        let rows = [["1", "Phở, bò", "say \"x\""], ["2", "a\nb", ""]]
        #expect(try CSV.parse(CSV.render(header: ["id", "name", "note"], rows: rows)).map(\.fields) == [["id", "name", "note"]] + rows)
    }
}

@Suite struct AreaCSVTests {
    @Test func goodRowsAreKeptAndBadRowsReportedByLine() throws {
        let csv = """
            code,name,level,parent_code,population
            06,Tỉnh Bắc Kạn,province,,316463
            058,Thành phố Bắc Kạn,district,06,
            01843,Phường Nguyễn Thị Minh Khai,commune,058,12000
            123,Too long,province,,
            01844,Orphan,commune,999,
            01845,Bad pop,commune,058,many
            059,Wrong parent,district,058,
            01846,Xã X,hamlet,058,
            """
        let (areas, report) = AreaCSV.read(csv, known: { _ in nil })
        #expect(areas.map(\.code) == ["06", "058", "01843"])
        #expect(areas.first?.population == 316_463)
        #expect(report.accepted == 3)
        #expect(report.rejected.map(\.line) == [5, 6, 7, 8, 9])
        #expect(report.rejected.map(\.field) == ["code", "parent_code", "population", "parent_code", "level"])
    }

    @Test func parentsMayBeKnownAlready() throws {
        let (areas, report) = AreaCSV.read("code,name,level,parent_code\n01847,Xã Mới,commune,058\n", known: { $0 == "058" ? .district : nil })
        #expect(areas.count == 1 && report.rejected.isEmpty)
    }

    @Test func aWrongHeaderIsReported() throws {
        let (areas, report) = AreaCSV.read("id,name\n1,x\n", known: { _ in nil })
        #expect(areas.isEmpty && report.rejected.count == 1)
    }
}
