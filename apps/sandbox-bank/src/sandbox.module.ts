import { Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { HealthModule } from '@ais/http-kit';
import { AlSalamController } from './banks/alsalam.controller.js';
import { AllstarController } from './banks/allstar.controller.js';
import { SaltBankController } from './banks/saltbank.controller.js';
import { BgService } from './berlin-group/bg.service.js';
import { ConsentPageController } from './consent-page/consent-page.controller.js';
import { ControlController } from './control/control.controller.js';
import { LandingController } from './control/landing.controller.js';
import { DirectoryController } from './directory/directory.controller.js';
import { ObieResources } from './obie/obie-resources.js';
import { ObieService } from './obie/obie.service.js';
import { OAuthService } from './oauth/oauth.service.js';
import { SandboxContext } from './sandbox-context.js';

/** On shutdown (SIGTERM in the real process, or close()), the last changes are written before the pool closes. */
@Injectable()
export class SandboxLifecycle implements OnApplicationShutdown {
  constructor(private readonly ctx: SandboxContext) {}

  async onApplicationShutdown(): Promise<void> {
    await this.ctx.close();
  }
}

@Module({})
export class SandboxModule {
  static forContext(ctx: SandboxContext): DynamicModule {
    return {
      module: SandboxModule,
      imports: [HealthModule.register([], [])],
      controllers: [
        AllstarController,
        AlSalamController,
        SaltBankController,
        DirectoryController,
        ConsentPageController,
        ControlController,
        LandingController,
      ],
      providers: [
        { provide: SandboxContext, useValue: ctx },
        OAuthService,
        ObieService,
        ObieResources,
        BgService,
        SandboxLifecycle,
      ],
    };
  }
}
