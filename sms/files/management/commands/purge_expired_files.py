from django.core.management.base import BaseCommand

from sms.files.services import purge_expired


class Command(BaseCommand):
    help = "Xoá các tệp đã hết hạn (phiếu đăng nhập, tệp nhập, kết quả tác vụ) khỏi kho lưu trữ."

    def handle(self, *args, **options):
        removed = purge_expired()
        self.stdout.write(f"Đã xoá {removed} tệp hết hạn.")
