from celery import shared_task
from django.core.management import call_command


@shared_task(acks_late=True)
def sessions_clear() -> None:
    """Periodic: delete expired sessions."""
    call_command("clearsessions")


@shared_task(acks_late=True)
def email_send(*, subject: str, body: str, to: list[str]) -> None:
    from django.core.mail import send_mail

    send_mail(subject=subject, message=body, from_email=None, recipient_list=to)
