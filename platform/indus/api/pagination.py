from rest_framework import pagination
from rest_framework.exceptions import ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of `page_size` results (50 unless asked, at most 500). A page or page size that
    is not a whole number from 1 is refused rather than silently replaced; a larger page size
    is capped, a page past the last is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        asked = _whole_number(request, self.page_size_query_param)
        return self.page_size if asked is None else min(asked, self.max_page_size)

    def get_page_number(self, request, paginator):
        asked = _whole_number(request, self.page_query_param)
        return 1 if asked is None else asked

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


def _whole_number(request, name: str) -> int | None:
    asked = request.query_params.get(name)
    if asked is None:
        return None
    if not asked.isdigit() or int(asked) < 1:
        raise ValidationError({name: ["must be a whole number from 1"]})
    return int(asked)
