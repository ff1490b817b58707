import Foundation
import TruyVetQR
var p = PosterContent(venueName: "Quán Phở Bà Tư — Chợ Đồng Xuân, gian hàng số 12", address: "Số 5 đường Trường Chinh, tổ 7", areaLine: "Phường Đức Xuân, Thành phố Bắc Kạn, Tỉnh Bắc Kạn", payload: "https://truyvet.example.vn/c/AQAAAAAAAAAqAAAAASpMzQ7tHn7o8NjGbW0nLQ", shortCode: "K7QF-2M9X-PD")
var q = p
q.venueName = String(repeating: "Trung tâm thương mại Vincom Plaza ", count: 6)
q.address = String(repeating: "Số 5 đường Trường Chinh ", count: 8)
FileManager.default.createFile(atPath: "/tmp/p.pdf", contents: Data(try Poster.pdf([p, q])))
