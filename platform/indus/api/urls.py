"""/api/v1/: every object lives under the project it belongs to."""
from django.urls import include, path

from indus.api.views import audit, bindings, datasets, jobs, models, plugins, projects, root, tokens

app_name = "api"

dataset_urls = [
    path("", datasets.DatasetDetailView.as_view(), name="dataset"),
    path("upload/", datasets.DatasetUploadView.as_view(), name="dataset-upload"),
    path("from-sample/", datasets.DatasetFromSampleView.as_view(), name="dataset-from-sample"),
    path("from-sql/", datasets.DatasetFromSqlView.as_view(), name="dataset-from-sql"),
    path("versions/", datasets.DatasetVersionListView.as_view(), name="dataset-versions"),
    path("versions/<int:number>/", datasets.DatasetVersionDetailView.as_view(), name="dataset-version"),
    path("versions/<int:number>/preview/", datasets.DatasetVersionPreviewView.as_view(), name="dataset-preview"),
]

job_urls = [
    path("", jobs.JobDetailView.as_view(), name="job"),
    path("cancel/", jobs.JobCancelView.as_view(), name="job-cancel"),
    path("retry/", jobs.JobRetryView.as_view(), name="job-retry"),
    path("predictions/", jobs.JobPredictionsView.as_view(), name="job-predictions"),
]

model_urls = [
    path("", models.ModelDetailView.as_view(), name="model"),
    path("versions/", models.ModelVersionListView.as_view(), name="model-versions"),
    path("versions/<int:number>/", models.ModelVersionDetailView.as_view(), name="model-version"),
    path("versions/<int:number>/artifacts/", models.ModelArtifactsView.as_view(), name="model-artifacts"),
    path("aliases/", models.AliasListView.as_view(), name="model-aliases"),
    path("aliases/<slug:name>/", models.AliasDetailView.as_view(), name="model-alias"),
]

project_urls = [
    path("", projects.ProjectDetailView.as_view(), name="project"),
    path("members/", projects.MemberListView.as_view(), name="members"),
    path("members/<str:username>/", projects.MemberDetailView.as_view(), name="member"),
    path("audit/", audit.AuditListView.as_view(), name="audit"),
    path("datasets/", datasets.DatasetListView.as_view(), name="datasets"),
    path("datasets/<int:dataset_id>/", include(dataset_urls)),
    path("jobs/", jobs.JobListView.as_view(), name="jobs"),
    path("jobs/<int:job_id>/", include(job_urls)),
    path("models/", models.ModelListView.as_view(), name="models"),
    path("task-bindings/", bindings.TaskBindingListView.as_view(), name="task-bindings"),
    path("task-bindings/infer/", bindings.TaskBindingInferView.as_view(), name="task-binding-infer"),
    path("task-bindings/<int:binding_id>/", bindings.TaskBindingDetailView.as_view(), name="task-binding"),
    path("models/<int:model_id>/", include(model_urls)),
]

urlpatterns = [
    path("", root.ApiRootView.as_view(), name="root"),
    path("tokens/", tokens.TokenListView.as_view(), name="tokens"),
    path("tokens/<int:token_id>/", tokens.TokenDetailView.as_view(), name="token"),
    path("plugins/", plugins.PluginListView.as_view(), name="plugins"),
    path("tasks/", plugins.TaskListView.as_view(), name="tasks"),
    path("tasks/<str:name>/", plugins.TaskDetailView.as_view(), name="task"),
    path("templates/", plugins.TemplateListView.as_view(), name="templates"),
    path("heads/", plugins.HeadListView.as_view(), name="heads"),
    path("backbones/", plugins.BackboneListView.as_view(), name="backbones"),
    path("samples/", plugins.SampleListView.as_view(), name="samples"),
    path("projects/", projects.ProjectListView.as_view(), name="projects"),
    path("projects/<slug:project_slug>/", include(project_urls)),
]
