"""The 5 standards and 15 criteria of the professional standard for general-education
teachers (Chuẩn nghề nghiệp giáo viên cơ sở giáo dục phổ thông, Thông tư 20/2018/TT-BGDĐT)."""

from __future__ import annotations

from .rules import STANDARD_CRITERIA

STANDARDS: dict[int, str] = {
    1: "Phẩm chất nhà giáo",
    2: "Phát triển chuyên môn, nghiệp vụ",
    3: "Xây dựng môi trường giáo dục",
    4: "Phát triển mối quan hệ giữa nhà trường, gia đình và xã hội",
    5: (
        "Sử dụng ngoại ngữ hoặc tiếng dân tộc, ứng dụng công nghệ thông tin, khai thác và sử dụng "
        "thiết bị công nghệ trong dạy học, giáo dục"
    ),
}

CRITERIA: dict[int, str] = {
    1: "Đạo đức nhà giáo",
    2: "Phong cách nhà giáo",
    3: "Phát triển chuyên môn bản thân",
    4: "Xây dựng kế hoạch dạy học và giáo dục theo hướng phát triển phẩm chất, năng lực học sinh",
    5: "Sử dụng phương pháp dạy học và giáo dục theo hướng phát triển phẩm chất, năng lực học sinh",
    6: "Kiểm tra, đánh giá theo hướng phát triển phẩm chất, năng lực học sinh",
    7: "Tư vấn và hỗ trợ học sinh",
    8: "Xây dựng văn hóa nhà trường",
    9: "Thực hiện quyền dân chủ trong nhà trường",
    10: "Thực hiện và xây dựng trường học an toàn, phòng chống bạo lực học đường",
    11: "Tạo dựng mối quan hệ hợp tác với cha mẹ hoặc người giám hộ của học sinh và các bên liên quan",
    12: "Phối hợp giữa nhà trường, gia đình và xã hội để thực hiện hoạt động dạy học cho học sinh",
    13: "Phối hợp giữa nhà trường, gia đình và xã hội để thực hiện giáo dục đạo đức, lối sống cho học sinh",
    14: "Sử dụng ngoại ngữ hoặc tiếng dân tộc",
    15: "Ứng dụng công nghệ thông tin, khai thác và sử dụng thiết bị công nghệ trong dạy học, giáo dục",
}

STANDARD_OF_CRITERION: dict[int, int] = {c: s for s, criteria in STANDARD_CRITERIA.items() for c in criteria}
