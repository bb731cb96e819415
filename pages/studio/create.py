"""Step 5, Create: the review, what is still missing, Create and Back; then the agent, or why it was not made."""

from __future__ import annotations

from nicegui import ui

from components.bidi import isolated
from components.error_box import error_box
from pages.chat import chat_url
from pages.studio.review import ReviewSection
from pages.studio.section import Section
from runtime import runtime
from services.studio.jobs import Job
from services.studio.studio import Studio


class CreateStep(Section):
    def __init__(self, studio: Studio, review: ReviewSection) -> None:
        super().__init__(studio)
        self.review = review

    def key(self) -> object:
        studio = self.studio
        job = studio.create_job()
        return (job.id, job.status) if job else None, studio.create_error, tuple(studio.problems())

    @ui.refreshable_method
    def render(self) -> None:
        studio = self.studio
        job = studio.create_job()
        if job is not None and job.status == 'done':
            self._success(job)
            return
        ui.label('Review and create').classes('text-lg font-semibold')
        if job is not None and job.running:
            with ui.card().classes('w-full bg-violet-50 border border-violet-200 shadow-none').props('flat') \
                    .mark('create-running'):
                with ui.row().classes('items-center gap-3 no-wrap'):
                    ui.spinner('dots', size='2rem', color='primary')
                    name = isolated(str(job.request.get('name', 'your agent')))
                    ui.label(f'Creating {name}… the platform is writing the personality and opening line.') \
                        .classes('text-sm')
            return
        if job is not None and job.status in ('failed', 'interrupted'):
            error_box(job.error_message or 'Unknown error.', job.trace_id, title='The agent was not created')
        if studio.create_error is not None:
            error_box(studio.create_error[0], studio.create_error[1], title='The agent was not created')
        self.review.place()
        problems = studio.problems()
        for problem in problems:
            with ui.row().classes('items-center gap-2 text-sm text-amber-800 no-wrap'):
                ui.icon('error_outline').classes('text-lg')
                ui.label(problem).mark('create-problem')
        with ui.row().classes('items-center gap-2 mt-2'):
            ui.button('Create agent', icon='rocket_launch', on_click=studio.create) \
                .props('unelevated no-caps size=lg').classes('px-8').mark('create-agent') \
                .set_enabled(not problems)
            # The other steps get Back from the stepper's navigation; this one draws its own (its main action is
            # Create, not Next), in the same place and look.
            ui.button('Back', on_click=lambda: studio.go_to('details')).props('flat no-caps').mark('create-back')

    def _success(self, job: Job) -> None:
        studio = self.studio
        with ui.card().classes('w-full border border-emerald-200 bg-emerald-50 shadow-none').props('flat') \
                .mark('create-success'):
            with ui.row().classes('w-full gap-6 items-start'):
                source = job.source_cover_job
                url = runtime.previews.url(studio.owner, 'cover', source) \
                    if source and studio.cover_file_known(source) else job.cover_url
                if url:
                    # Not the phone's full width: the news that the agent is ready stays on the first screen.
                    ui.image(url).classes('w-40 sm:w-64 rounded-xl shadow').props('fit=contain')
                with ui.column().classes('gap-2 grow'):
                    with ui.row().classes('items-center gap-2'):
                        ui.icon('celebration', color='positive').classes('text-3xl')
                        ui.label(f'{isolated(job.agent_name or "")} is ready').classes('text-2xl font-bold') \
                            .mark('created-name')
                    ui.label('Your agent was created and is now listed with your agents.').classes('text-sm')
                    with ui.row().classes('items-center gap-2'):
                        ui.label('Agent id').classes('text-xs text-slate-500')
                        ui.label(job.agent_id or '').classes('font-mono text-sm').mark('created-id')
                    with ui.row().classes('gap-2 mt-2'):
                        if job.agent_id:  # the documented flow's last step: a conversation with the new agent
                            ui.button('Say hello', icon='waving_hand',
                                      on_click=lambda a=job.agent_id: ui.navigate.to(chat_url(a, hello=True))) \
                                .props('unelevated no-caps color=secondary').mark('say-hello')
                        ui.button('See your agents', icon='groups', on_click=lambda: ui.navigate.to('/agents')) \
                            .props('unelevated no-caps').mark('to-agents')
                        ui.button('Create another', icon='add', on_click=studio.start_over) \
                            .props('outline no-caps').mark('create-another')
