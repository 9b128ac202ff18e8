"""Item imports: JSONL or CSV files, or lists from the API.

The whole input is validated before anything is written; a bad row rejects the import with line
numbers and reasons. `external_id` makes imports idempotent: rows whose id the project already
has are counted as duplicates and left alone. Writing is one `COPY` into the items table inside
one transaction, under a per-project advisory lock so two imports of one project never race, with
the project checked once for all rows rather than by the foreign key row by row.
Large files run as a Celery job that reports progress on its `ImportJob` row.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import json
import re
from dataclasses import dataclass, field

import orjson
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import ProgrammingError, connection, transaction
from django.db.models import F
from django.utils import timezone
from psycopg.copy import QueuedLibpqWriter

from portal.errors import DomainError, NotFoundError
from portal.tasks import task_enqueue_on_commit
from projects.models import ImportJob, Project
from projects.presets import item_checker
from projects.questions import result_validate

ASYNC_THRESHOLD = 5_000
API_MAX_ITEMS = 10_000
MAX_ERRORS = 50
MAX_FILE_BYTES = 200 * 1024 * 1024
RESERVED = {"external_id", "is_gold", "gold_answer", "payload"}
# is_gold as JSON or as a CSV cell; absent or empty is not gold.
GOLD_FLAGS = {True: True, "true": True, "1": True, False: False, None: False}
GOLD_FLAGS.update({"": False, "false": False, "0": False})
PROGRESS_EVERY = 5_000
IMPORT_LOCK_NAMESPACE = 7401  # pg_advisory_xact_lock(namespace, project id)
# A cell may be as long as the file may be (the csv module's default limit is 128 KiB).
csv.field_size_limit(MAX_FILE_BYTES)


@dataclass
class Row:
    line: int
    external_id: str
    payload_json: str  # JSON text, serialised once while validating
    is_gold: bool = False
    gold_json: str | None = None


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    duplicates: int = 0
    errors: list[dict] = field(default_factory=list)


def _raise_invalid(errors: list[dict], label: str) -> None:
    shown = errors[:MAX_ERRORS]
    more = f" (first {MAX_ERRORS} shown)" if len(errors) > MAX_ERRORS else ""
    raise DomainError(
        f"{len(errors)} problem(s) found{more}; nothing was imported.",
        code="invalid_import",
        fields={
            f"{label} {e['line']}" + (f".{e['field']}" if e["field"] else ""): [e["message"]] for e in shown
        },
    )


def _record_from_dict(data: dict) -> tuple[dict, dict]:
    """Split one input record into its control fields and its payload."""
    if "payload" in data:
        payload = data["payload"]
    else:
        payload = {key: value for key, value in data.items() if key not in RESERVED}
    return data, payload


@contextlib.contextmanager
def gc_paused():
    """Parsing and validating a file makes a few container objects per row, and all of them stay
    alive until the rows are written: the cyclic garbage collector would scan them again and again
    and find nothing to free (it tripled the time to parse 100,000 JSONL lines)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _utf8_text(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DomainError(
            "The file is not UTF-8 text.",
            code="invalid_file",
            fields={"file": [f"Byte {error.start} is not UTF-8."]},
        ) from None


def rows_parse(*, content: bytes, format: str) -> tuple[list[tuple[int, dict]], list[dict]]:
    """Records of a JSONL or CSV file with their line numbers, and the lines that do not parse."""
    if len(content) > MAX_FILE_BYTES:
        raise DomainError(
            "The file is too large.",
            code="file_too_large",
            fields={"file": [f"At most {MAX_FILE_BYTES // (1024 * 1024)} MB."]},
        )
    records, errors = [], []
    if format == "jsonl":
        # Lines split as bytes at \n, \r\n or \r only (a JSON string may hold U+2028 and the
        # like); orjson reads UTF-8 bytes itself, so the text is decoded only to explain a bad file.
        for number, line in enumerate(content.removeprefix(codecs.BOM_UTF8).splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as error:
                if "UTF-8" in error.msg:
                    _utf8_text(content)
                errors.append({"line": number, "field": "", "message": f"Not valid JSON: {error.msg}."})
                continue
            if not isinstance(record, dict):
                errors.append({"line": number, "field": "", "message": "Each line must be a JSON object."})
                continue
            records.append((number, record))
    elif format == "csv":
        # newline="": the reader itself splits lines (at \n, \r\n or a bare \r) and keeps line
        # breaks inside quoted cells; a cell missing at the end of a short row is empty.
        reader = csv.DictReader(io.StringIO(_utf8_text(content), newline=""), restval="")
        if not reader.fieldnames or "external_id" not in reader.fieldnames:
            raise DomainError(
                "The CSV needs a header row with an external_id column.",
                code="invalid_file",
                fields={"file": ["Missing header or external_id column."]},
            )
        for record in reader:
            number = reader.line_num
            if None in record:
                errors.append({"line": number, "field": "", "message": "More cells than header columns."})
                continue
            records.append((number, record))
    else:
        raise DomainError(
            f"'{format}' is not a supported format.",
            code="invalid_format",
            fields={"format": ["Use jsonl or csv."]},
        )
    if not records and not errors:
        raise DomainError("The file has no rows.", code="empty_import", fields={"file": ["No rows found."]})
    return records, errors


# PostgreSQL stores no NUL character in text or jsonb; orjson writes one as \u0000 (an escape
# preceded by an even number of backslashes, or it would be the text "\u0000").
_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
NUL_MESSAGE = "Contains a NUL character (\\u0000), which cannot be stored."


def _json_text(value) -> str | None:
    """The value as JSON text, or None when it holds a NUL character."""
    text = orjson.dumps(value).decode()
    if "\\u0000" in text and _NUL.search(text):
        return None
    return text


def _csv_cell(value: str, field_type: str):
    """CSV cells of structured item fields carry JSON."""
    if field_type in ("text", "url"):
        return value
    return json.loads(value)


def rows_validate(
    *,
    project: Project,
    records: list[tuple[int, dict]],
    from_csv: bool = False,
    progress=None,
    row_name: str = "line {} in this file",
) -> tuple[list[Row], list[dict]]:
    rows, errors, seen = [], [], {}
    problems_of = item_checker(item_fields=project.item_fields, task_type=project.task_type)
    for index, (line, record) in enumerate(records, start=1):
        data, payload = _record_from_dict(record)
        raw_id = data.get("external_id")
        external_id = "" if raw_id is None else str(raw_id).strip()
        if isinstance(raw_id, bool) or not isinstance(raw_id, str | int | None):
            errors.append({"line": line, "field": "external_id", "message": "A string or a whole number."})
        elif not external_id:
            errors.append({"line": line, "field": "external_id", "message": "Required."})
        elif len(external_id) > 200:
            errors.append({"line": line, "field": "external_id", "message": "At most 200 characters."})
        elif external_id in seen:
            errors.append(
                {
                    "line": line,
                    "field": "external_id",
                    "message": f"Duplicate of {row_name.format(seen[external_id])}.",
                }
            )
        else:
            seen[external_id] = line
        if from_csv and isinstance(payload, dict):
            cells, known = {}, len(errors)
            for key, value in payload.items():
                try:
                    cells[key] = _csv_cell(value, project.item_fields.get(key, "text"))
                except json.JSONDecodeError:
                    what = "Empty" if not value.strip() else "Not valid JSON"
                    errors.append(
                        {
                            "line": line,
                            "field": f"payload.{key}",
                            "message": f"{what}: this column holds JSON.",
                        }
                    )
            if len(errors) > known:
                continue
            payload = cells
        if problems := problems_of(payload):
            for key, messages in problems.items():
                errors.append({"line": line, "field": key, "message": "; ".join(messages)})
            continue
        payload_json = _json_text(payload)
        if payload_json is None or "\x00" in external_id:
            where = "payload" if payload_json is None else "external_id"
            errors.append({"line": line, "field": where, "message": NUL_MESSAGE})
            continue
        flag = data.get("is_gold")
        if isinstance(flag, str):
            flag = flag.strip().lower()  # spreadsheets write TRUE and FALSE
        is_gold = GOLD_FLAGS.get(flag) if isinstance(flag, str | int | float | None) else None
        if is_gold is None:
            errors.append({"line": line, "field": "is_gold", "message": "true or false."})
            continue
        gold_answer = data.get("gold_answer")
        if from_csv and isinstance(gold_answer, str) and gold_answer:
            try:
                gold_answer = json.loads(gold_answer)
            except json.JSONDecodeError:
                errors.append({"line": line, "field": "gold_answer", "message": "Not valid JSON."})
                continue
        if is_gold:
            if not isinstance(gold_answer, dict):
                errors.append(
                    {"line": line, "field": "gold_answer", "message": "A gold item needs its answer."}
                )
                continue
            try:
                gold_answer = result_validate(questions=project.questions, result=gold_answer, item=payload)
            except DomainError as error:
                for key, messages in (error.fields or {"": [error.message]}).items():
                    errors.append(
                        {"line": line, "field": f"gold_answer.{key}", "message": "; ".join(messages)}
                    )
                continue
            gold_json = _json_text(gold_answer)
            if gold_json is None:
                errors.append({"line": line, "field": "gold_answer", "message": NUL_MESSAGE})
                continue
        elif gold_answer not in (None, ""):  # an empty CSV cell is no answer
            errors.append(
                {
                    "line": line,
                    "field": "gold_answer",
                    "message": 'Only a gold item has an answer: add "is_gold": true, or leave the answer out.',
                }
            )
            continue
        else:
            gold_json = None
        rows.append(
            Row(
                line=line,
                external_id=external_id,
                payload_json=payload_json,
                is_gold=is_gold,
                gold_json=gold_json,
            )
        )
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index)
    return rows, errors


NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_BATCH = 5_000


def _copy_text(value: str) -> str:
    """A value in COPY's text format: backslash, tab and line breaks escaped."""
    if "\\" in value or not value.isprintable():
        return value.translate(_COPY_ESCAPES)
    return value


def _copy_json(text: str) -> str:
    """JSON text in COPY's text format. orjson escapes every control character inside strings, so
    only the backslashes of those escapes need doubling."""
    return text.replace("\\", "\\\\")


def _row_triggers_off(cursor) -> bool:
    """Stop row triggers firing for the rest of the transaction, when the database role may.

    The only triggers an insert into the items table fires are its project foreign key's, which
    check each row at commit: a third of a large import's time, for a check `rows_write` makes
    once. A role may do this when it is a superuser or has been granted SET on
    session_replication_role; any other role keeps the checks and only imports more slowly. A
    failed write rolls the setting back with everything else; a successful one must set it back to
    `origin` itself.
    """
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except ProgrammingError as error:
        if getattr(error.__cause__, "sqlstate", None) != "42501":  # insufficient_privilege
            raise
        return False
    return True


def rows_write(*, project: Project, rows: list[Row], batch: ImportJob | None = None) -> ImportResult:
    """Insert the rows the project does not have yet, in one COPY. Call inside a transaction.

    A thread of psycopg's sends the COPY data while this one formats the next batch, so the
    formatting here and PostgreSQL's parsing and indexing run on two cores at once.
    """
    result = ImportResult(total=len(rows))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [IMPORT_LOCK_NAMESPACE, project.pk])
        # What the items' foreign key checks for each row, done once for them all: the project
        # exists, and stays (locked FOR KEY SHARE) until the transaction ends.
        cursor.execute("SELECT 1 FROM projects_project WHERE id = %s FOR KEY SHARE", [project.pk])
        if cursor.fetchone() is None:
            raise NotFoundError("The project is gone.")
        cursor.execute("SELECT EXISTS (SELECT 1 FROM projects_item WHERE project_id = %s)", [project.pk])
        existing: set[str] = set()
        if cursor.fetchone()[0]:  # only a project that has items can hold duplicates
            cursor.execute(
                "SELECT external_id FROM projects_item WHERE project_id = %s AND external_id = ANY(%s)",
                [project.pk, [row.external_id for row in rows]],
            )
            existing = {external_id for (external_id,) in cursor.fetchall()}
        fresh = [row for row in rows if row.external_id not in existing]
        columns = (
            "project_id, external_id, payload, is_gold, gold_answer, batch_id, "
            "assigned_count, completed_count, is_open, created_at"
        )
        batch_id = batch.pk if batch else NULL
        created_at = timezone.now().isoformat()
        # The columns after the payload. Gold items stay out of the open queue: the queue mixes
        # them in at the gold rate.
        work_tail = f"\tf\t{NULL}\t{batch_id}\t0\t0\tt\t{created_at}\n"
        gold_tail = f"\t{batch_id}\t0\t0\tf\t{created_at}\n"

        def copy_line(row: Row) -> str:
            head = f"{project.pk}\t{_copy_text(row.external_id)}\t{_copy_json(row.payload_json)}"
            if row.is_gold:
                return f"{head}\tt\t{_copy_json(row.gold_json)}{gold_tail}"
            return head + work_tail

        sql = f"COPY projects_item ({columns}) FROM STDIN"
        row_checks_off = _row_triggers_off(cursor)
        with cursor.cursor.copy(sql, writer=QueuedLibpqWriter(cursor.cursor)) as copy:
            for start in range(0, len(fresh), COPY_BATCH):
                copy.write("".join(map(copy_line, fresh[start : start + COPY_BATCH])))
        if row_checks_off:
            cursor.execute("SET LOCAL session_replication_role = origin")
    result.created = len(fresh)
    result.duplicates = len(rows) - len(fresh)
    if result.created:
        Project.objects.filter(pk=project.pk).update(items_count=F("items_count") + result.created)
    return result


def items_import(*, project: Project, records: list[dict]) -> ImportResult:
    """The API's bulk create: up to API_MAX_ITEMS records, all or nothing."""
    if not isinstance(records, list) or not records:
        raise DomainError(
            "Send a non-empty list of items.",
            code="invalid_import",
            fields={"items": ["A list of 1 to 10,000 items."]},
        )
    if len(records) > API_MAX_ITEMS:
        raise DomainError(
            f"At most {API_MAX_ITEMS} items per request.",
            code="too_many_items",
            fields={"items": [f"{len(records)} sent; split into requests of {API_MAX_ITEMS}."]},
        )
    numbered = []
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise DomainError(
                "Each item is an object.",
                code="invalid_import",
                fields={f"items[{index}]": ["Not an object."]},
            )
        numbered.append((index, record))
    with gc_paused():
        rows, errors = rows_validate(project=project, records=numbered, row_name="items[{}] in this request")
    if errors:
        shown = errors[:MAX_ERRORS]
        raise DomainError(
            f"{len(errors)} problem(s) found; nothing was imported.",
            code="invalid_import",
            fields={
                f"items[{e['line']}]" + (f".{e['field']}" if e["field"] else ""): [e["message"]]
                for e in shown
            },
        )
    with transaction.atomic():
        return rows_write(project=project, rows=rows)


def import_job_create(*, actor, project: Project, filename: str, content: bytes) -> ImportJob:
    """Import a file: small files at once, large ones as a background job with progress."""
    format = "csv" if filename.lower().endswith(".csv") else "jsonl"
    if not filename.lower().endswith((".csv", ".jsonl", ".ndjson", ".json")):
        raise DomainError(
            "Upload a .jsonl or .csv file.",
            code="invalid_format",
            fields={"file": [f"'{filename}' is neither JSONL nor CSV."]},
        )
    line_count = max(content.count(b"\n"), content.count(b"\r")) + 1  # LF, CRLF or bare CR
    job = ImportJob.objects.create(project=project, created_by=actor, filename=filename[:255], format=format)
    if line_count <= ASYNC_THRESHOLD:
        import_job_run_now(job=job, content=content)
        job.refresh_from_db()
        return job
    path = default_storage.save(f"imports/{connection.schema_name}/{job.pk}.{format}", ContentFile(content))
    ImportJob.objects.filter(pk=job.pk).update(file=path)
    from projects.tasks import import_job_run

    task_enqueue_on_commit(import_job_run, job.pk)
    job.refresh_from_db()
    return job


def import_job_run_now(*, job: ImportJob, content: bytes) -> ImportJob:
    """Validate everything, then write everything; the job row tells how far it got."""
    project = job.project
    # A job that finished stays as it finished: another delivery of it may be running too.
    unfinished = ImportJob.objects.filter(pk=job.pk).exclude(
        status__in=(ImportJob.Status.SUCCEEDED, ImportJob.Status.FAILED)
    )

    def progress(done: int) -> None:
        unfinished.update(processed_rows=done)

    try:
        with gc_paused():
            records, parse_errors = rows_parse(content=content, format=job.format)
            unfinished.update(status=ImportJob.Status.VALIDATING, total_rows=len(records))
            rows, errors = rows_validate(
                project=project, records=records, from_csv=job.format == "csv", progress=progress
            )
            del records  # the parsed records, freed before the write
        errors = sorted(parse_errors + errors, key=lambda e: e["line"])
        if errors:
            _raise_invalid(errors, "line")
        unfinished.update(status=ImportJob.Status.WRITING, processed_rows=len(rows))
        # The items and the outcome commit together: a worker lost before the commit leaves nothing
        # written and the job to run again; a second delivery of the job waits here and finds it done.
        with transaction.atomic():
            if not unfinished.select_for_update().exists():
                return job
            result = rows_write(project=project, rows=rows, batch=job)
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.SUCCEEDED,
                finished_at=timezone.now(),
                processed_rows=result.total,
                created_count=result.created,
                duplicate_count=result.duplicates,
            )
    except DomainError as error:
        unfinished.update(
            status=ImportJob.Status.FAILED,
            finished_at=timezone.now(),
            errors=[{"where": key, "message": " ".join(messages)} for key, messages in error.fields.items()]
            or [{"where": "file", "message": error.message}],
        )
        raise
    return job
