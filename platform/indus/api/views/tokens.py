from drf_spectacular.utils import extend_schema
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.response import Response

from indus.api.serializers.tokens import ApiTokenCreatedSerializer, ApiTokenCreateSerializer, ApiTokenSerializer
from indus.api.views.base import ApiView
from indus.tenancy.models import ApiToken
from indus.tenancy.selectors import api_token_list
from indus.tenancy.services import api_token_create, api_token_revoke


class TokenView(ApiView):
    """The requesting user's own tokens; anyone else's are not found."""

    serializer_class = ApiTokenSerializer
    queryset = ApiToken.objects.none()
    filter_backends = []

    def visible_queryset(self):
        return api_token_list(user=self.request.user)


class TokenListView(ListModelMixin, TokenView):
    @extend_schema(summary="List your API tokens")
    def get(self, request):
        return self.list(request)

    @extend_schema(summary="Create an API token (its secret is shown once)", request=ApiTokenCreateSerializer,
                   responses={201: ApiTokenCreatedSerializer})
    def post(self, request):
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # request.auth is the token the request came with; a session (password) login has none.
        created_by_token = request.auth if isinstance(request.auth, ApiToken) else None
        token, secret = api_token_create(
            user=request.user, created_by_token=created_by_token, **serializer.validated_data
        )
        token.token = secret
        return Response(ApiTokenCreatedSerializer(token).data, status=201)


class TokenDetailView(RetrieveModelMixin, TokenView):
    lookup_url_kwarg = "token_id"

    @extend_schema(summary="Show one of your API tokens")
    def get(self, request, token_id):
        return self.retrieve(request)

    @extend_schema(summary="Revoke one of your API tokens and every token created from it", responses={204: None})
    def delete(self, request, token_id):
        api_token_revoke(token=self.get_object())
        return Response(status=204)
